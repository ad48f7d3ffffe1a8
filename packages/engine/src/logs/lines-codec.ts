import type { Stream } from "../runners/types.js";
import type { LogChunkRow } from "../store/queries/log-chunks.js";
import type { LogLine } from "./types.js";

/** The lines of stored chunks, with their offsets. */
export function linesOfChunks(chunks: LogChunkRow[]): LogLine[] {
  const out: LogLine[] = [];
  for (const chunk of chunks) {
    const lines = JSON.parse(chunk.lines_json) as Array<[Stream, number, string]>;
    lines.forEach(([stream, ts, text], i) => {
      out.push({
        offset: Number(chunk.first_offset) + i,
        step: chunk.step,
        item: chunk.item_index,
        attempt: chunk.attempt,
        stream,
        ts,
        text,
      });
    });
  }
  return out;
}

/** An archived object: one JSON line per log line. */
export function encodeArchive(lines: LogLine[]): string {
  return lines.map((l) => JSON.stringify(l)).join("\n") + (lines.length ? "\n" : "");
}

export function decodeArchive(body: string): LogLine[] {
  return body
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as LogLine);
}
