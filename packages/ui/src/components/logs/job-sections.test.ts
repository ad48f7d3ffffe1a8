import { describe, expect, it } from "vitest";
import { sectionRows } from "./job-sections";
import type { LogLine } from "./use-log-stream";

const line = (offset: number, text: string, item = 0): LogLine => ({
  offset,
  step: "job",
  item,
  attempt: 1,
  stream: "stdout",
  ts: 0,
  text,
});

describe("sectionRows", () => {
  const lines = [
    line(0, "##[step] 0 Checkout"),
    line(1, "cloned"),
    line(2, "##[step] 1 Run npm test"),
    line(3, "ok 1"),
    line(4, "ok 2"),
    line(5, " ##[step] 9 printed by the step"),
  ];
  const steps = [
    { name: "Checkout", status: "succeeded", duration_ms: 1200 },
    { name: "Run npm test", status: "failed", duration_ms: 300 },
  ];

  it("opens a section per job step, with the step's status and duration, counting its lines", () => {
    const rows = sectionRows(lines, new Set(), () => steps);
    expect(
      rows.map((r) => (r.kind === "section" ? `[${r.name} ${r.step?.status} ${r.count}]` : r.line.text)),
    ).toEqual([
      "[Checkout succeeded 1]",
      "cloned",
      "[Run npm test failed 3]",
      "ok 1",
      "ok 2",
      " ##[step] 9 printed by the step",
    ]);
  });

  it("hides a collapsed section's lines but keeps its header", () => {
    const rows = sectionRows(lines, new Set(["0:1:1"]), () => steps);
    expect(
      rows.map((r) => (r.kind === "section" ? `[${r.name}${r.collapsed ? " +" : ""}]` : r.line.text)),
    ).toEqual(["[Checkout]", "cloned", "[Run npm test +]"]);
  });
});
