import { describe, expect, it } from "vitest";
import { logRows } from "./log-sections";
import type { LogLine } from "./use-log-stream";

const line = (offset: number, item: number, attempt: number, text: string): LogLine => ({
  offset,
  step: "s",
  item,
  attempt,
  stream: "stdout",
  ts: offset,
  text,
});

describe("the log's sections", () => {
  it("leaves a step that ran once as it is", () => {
    const rows = logRows([line(0, 0, 1, "a"), line(1, 0, 1, "b")], { status: "succeeded", attempts: 1 });
    expect(rows.map((r) => r.kind)).toEqual(["line", "line"]);
  });

  it("gives each for_each item a section with its value and status, lines no longer interleaved", () => {
    const rows = logRows([line(0, 0, 1, "ops 1"), line(1, 1, 1, "dev 1"), line(2, 0, 1, "ops 2")], {
      status: "failed",
      items: [
        { item: "ops", status: "succeeded", attempts: 1 },
        { item: "dev", status: "failed", attempts: 1 },
      ],
    });
    expect(
      rows.map((r) => (r.kind === "header" ? `# ${r.label} ${r.status}` : `${r.number} ${r.line.text}`)),
    ).toEqual([
      "# item 0: ops · attempt 1 succeeded",
      "1 ops 1",
      "2 ops 2",
      "# item 1: dev · attempt 1 failed",
      "1 dev 1",
    ]);
  });

  it("separates the attempts of a retried step; the earlier ones failed", () => {
    const rows = logRows([line(0, 0, 1, "try"), line(1, 0, 2, "try again")], {
      status: "succeeded",
      attempts: 2,
    });
    expect(rows.filter((r) => r.kind === "header").map((r) => [r.label, r.status])).toEqual([
      ["attempt 1 of 2", "failed"],
      ["attempt 2 of 2", "succeeded"],
    ]);
  });
});
