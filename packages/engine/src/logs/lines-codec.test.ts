import { describe, expect, it } from "vitest";
import type { LogChunkRow } from "../store/queries/log-chunks.js";
import { decodeArchive, encodeChunks, linesOfChunks, StoredLinesBuilder } from "./lines-codec.js";

function chunk(lines_json: string, first_offset = 10): LogChunkRow {
  return {
    run_id: "r1",
    step: "build",
    item_index: 0,
    attempt: 2,
    first_offset,
    line_count: 0,
    lines_json,
    created_at: 0,
  };
}

const sample: Array<["stdout" | "stderr", number, string]> = [
  ["stdout", 1000, "one"],
  ["stdout", 1000, ""],
  ["stderr", 1000, "two \u001b[31mred\u001b[0m"],
  ["stderr", 1003, 'quotes " and \\ and \t tab'],
  ["stdout", 1003, "progress 10%\rprogress 20%"],
  ["stdout", 1001, "clock went back"],
];

function built(lines = sample): StoredLinesBuilder {
  const builder = new StoredLinesBuilder();
  for (const [stream, ts, text] of lines) builder.add(stream, ts, text);
  return builder;
}

describe("stored lines", () => {
  it("round-trips streams, timestamps and texts through the packed form, with offsets from the chunk's first", () => {
    const json = built().encode();
    expect(JSON.parse(json)).toMatchObject({
      s: [
        ["stdout", 2],
        ["stderr", 2],
        ["stdout", 2],
      ],
    });
    const lines = linesOfChunks([chunk(json)]);
    expect(lines.map((l) => [l.stream, l.ts, l.text])).toEqual(sample);
    expect(lines.map((l) => l.offset)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(lines[0]).toMatchObject({ step: "build", item: 0, attempt: 2 });
  });

  it("is over a quarter smaller than one array per line for short lines", () => {
    const short = Array.from(
      { length: 1000 },
      (_, i) => ["stdout", 1000 + (i >> 7), `${i} ${"x".repeat(44)}`] as const,
    );
    const packed = built(short.map(([s, t, x]) => [s, t, x])).encode();
    expect(packed.length).toBeLessThan(JSON.stringify(short).length * 0.75);
  });

  it("stores a batch holding a text with a newline unpacked, and reads it back the same", () => {
    const lines = [...sample, ["stderr", 1004, "gantry: first\nsecond"] as ["stderr", number, string]];
    const json = built(lines).encode();
    expect(Array.isArray(JSON.parse(json))).toBe(true);
    expect(linesOfChunks([chunk(json)]).map((l) => [l.stream, l.ts, l.text])).toEqual(lines);
  });

  it("reads chunks and archives written before the packed form", () => {
    const old = JSON.stringify(sample);
    expect(linesOfChunks([chunk(old)]).map((l) => [l.stream, l.ts, l.text])).toEqual(sample);
    const archived = encodeChunks([chunk(old, 0), chunk(built().encode(), 6)]);
    const decoded = decodeArchive(archived);
    expect(decoded.map((l) => l.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(decoded.slice(6).map((l) => [l.stream, l.ts, l.text])).toEqual(sample);
  });

  it("holds no line for an empty builder, and one for a single empty text", () => {
    expect(linesOfChunks([chunk(new StoredLinesBuilder().encode())])).toEqual([]);
    expect(linesOfChunks([chunk(built([["stdout", 5, ""]]).encode())]).map((l) => l.text)).toEqual([""]);
  });
});
