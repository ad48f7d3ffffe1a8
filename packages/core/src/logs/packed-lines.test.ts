import { describe, expect, it } from "vitest";
import { expandLines, type LogLine, type LogStream, PackedLinesBuilder, packLines } from "./packed-lines.js";

const sample: Array<[LogStream, number, string]> = [
  ["stdout", 1000, "one"],
  ["stdout", 1000, ""],
  ["stderr", 1000, "two \u001b[31mred\u001b[0m"],
  ["stderr", 1003, 'quotes " and \\ and \t tab'],
  ["stdout", 1003, "progress 10%\rprogress 20%"],
  ["stdout", 1001, "clock went back"],
];

function built(lines = sample): PackedLinesBuilder {
  const builder = new PackedLinesBuilder();
  for (const [stream, ts, text] of lines) builder.add(stream, ts, text);
  return builder;
}

const batchOf = (lines: ReturnType<PackedLinesBuilder["lines"]>) => ({
  offset: 10,
  step: "build",
  item: 0,
  attempt: 2,
  lines,
});
const triples = (lines: LogLine[]) => lines.map((l) => [l.stream, l.ts, l.text]);

describe("packed lines", () => {
  it("round-trip streams, timestamps and texts, with offsets from the batch's first", () => {
    const packed = JSON.parse(built().encode());
    expect(packed).toMatchObject({
      s: [
        ["stdout", 2],
        ["stderr", 2],
        ["stdout", 2],
      ],
    });
    const lines = expandLines(batchOf(packed));
    expect(triples(lines)).toEqual(sample);
    expect(lines.map((l) => l.offset)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(lines[0]).toMatchObject({ step: "build", item: 0, attempt: 2 });
  });

  it("are over a quarter smaller than an array per line for short lines", () => {
    const short = Array.from({ length: 1000 }, (_, i): [LogStream, number, string] => [
      "stdout",
      1000 + (i >> 7),
      `${i} ${"x".repeat(44)}`,
    ]);
    expect(built(short).encode().length).toBeLessThan(JSON.stringify(short).length * 0.75);
  });

  it("keep lines one array each when a text holds a newline, and read back the same", () => {
    const lines: Array<[LogStream, number, string]> = [...sample, ["stderr", 1004, "gantry: first\nsecond"]];
    const stored = built(lines).lines();
    expect(Array.isArray(stored)).toBe(true);
    expect(triples(expandLines(batchOf(stored)))).toEqual(lines);
  });

  it("hold no line when empty, and one for a single empty text", () => {
    expect(expandLines(batchOf(new PackedLinesBuilder().lines()))).toEqual([]);
    expect(expandLines(batchOf(built([["stdout", 5, ""]]).lines())).map((l) => l.text)).toEqual([""]);
  });

  it("batch lines by step attempt and consecutive offsets, and expand back to the same lines", () => {
    const line = (offset: number, step: string, attempt = 1): LogLine => ({
      offset,
      step,
      item: 0,
      attempt,
      stream: "stdout",
      ts: 7,
      text: `${step} ${offset}`,
    });
    const lines = [line(0, "a"), line(1, "a"), line(2, "b"), line(3, "a"), line(5, "a"), line(6, "a", 2)];
    const batches = packLines(lines);
    expect(batches.map((b) => [b.offset, b.step, b.attempt])).toEqual([
      [0, "a", 1],
      [2, "b", 1],
      [3, "a", 1],
      [5, "a", 1],
      [6, "a", 2],
    ]);
    const out: LogLine[] = [];
    for (const batch of JSON.parse(JSON.stringify(batches))) expandLines(batch, out);
    expect(out).toEqual(lines);
    expect(packLines([])).toEqual([]);
  });
});
