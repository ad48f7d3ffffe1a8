import { type LogStream, PackedLinesBuilder } from "@gantry/core";
import { describe, expect, it } from "vitest";
import type { LogChunkRow } from "../store/queries/log-chunks.js";
import { decodeArchive, encodeChunks, linesOfChunks } from "./lines-codec.js";

function chunk(lines_json: string, first_offset: number): LogChunkRow {
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

const sample: Array<[LogStream, number, string]> = [
  ["stdout", 1000, "one"],
  ["stderr", 1001, "two"],
  ["stdout", 1001, "three"],
];

function packed(): string {
  const builder = new PackedLinesBuilder();
  for (const [stream, ts, text] of sample) builder.add(stream, ts, text);
  return builder.encode();
}

describe("stored chunks and archives", () => {
  it("read packed chunks and chunks written before the packed form alike", () => {
    const lines = linesOfChunks([chunk(JSON.stringify(sample), 0), chunk(packed(), 3)]);
    expect(lines.map((l) => l.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lines.map((l) => [l.stream, l.ts, l.text])).toEqual([...sample, ...sample]);
    expect(lines[3]).toMatchObject({ step: "build", item: 0, attempt: 2 });
  });

  it("archive chunks of either form as they are stored, and decode them back", () => {
    const chunks = [chunk(JSON.stringify(sample), 0), chunk(packed(), 3)];
    const archived = encodeChunks(chunks);
    expect(archived.split("\n").at(1)).toContain(`"lines":${packed()}`);
    expect(decodeArchive(archived)).toEqual(linesOfChunks(chunks));
  });
});
