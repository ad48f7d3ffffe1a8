import { expandLines, type LinesBatch, type LogLine } from "@gantry/core";
import { decodeChunkLines } from "../store/decode/index.js";
import type { LogChunkRow } from "../store/queries/log-chunks.js";

/** The lines of stored chunks (their `lines_json`: see PackedLines in core), with their offsets. */
export function linesOfChunks(chunks: LogChunkRow[]): LogLine[] {
  const out: LogLine[] = [];
  for (const chunk of chunks) {
    expandLines(
      {
        offset: Number(chunk.first_offset),
        step: chunk.step,
        item: chunk.item_index,
        attempt: chunk.attempt,
        lines: decodeChunkLines(chunk),
      },
      out,
    );
  }
  return out;
}

/**
 * An archived object is JSON lines of two kinds: a log line (`{"offset", "step", "item", "attempt",
 * "stream", "ts", "text"}`, as archives were first written), or a stored batch of them
 * (`{"offset", "step", "item", "attempt", "lines": ...}`, `offset` being the first line's, `lines` a
 * chunk's `lines_json`: packed (see PackedLines in core) or, as first written, `[[stream, ts, text],
 * ...]`). The archiver writes batches: each is a chunk's JSON as the store holds it, copied without
 * parsing, so archiving 200 MB costs a few string copies instead of parsing and re-encoding four million
 * lines (and the garbage that made the worker's memory swell by 160 MB at 50 MB).
 */
export function encodeChunks(chunks: LogChunkRow[]): string {
  let out = "";
  for (const chunk of chunks) {
    out += `{"offset":${Number(chunk.first_offset)},"step":${JSON.stringify(chunk.step)},"item":${chunk.item_index},"attempt":${chunk.attempt},"lines":${chunk.lines_json}}\n`;
  }
  return out;
}

/** The log lines of one archived JSON line (a line, or a batch of them). */
export function decodeArchivedLine(json: string, out: LogLine[] = []): LogLine[] {
  const value = JSON.parse(json) as LogLine | LinesBatch;
  if ("lines" in value) expandLines(value, out);
  else out.push(value);
  return out;
}

export function decodeArchive(body: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of body.split("\n")) if (line !== "") decodeArchivedLine(line, out);
  return out;
}

/**
 * The offset of an archived JSON line (of its first line, for a batch) without parsing it: both kinds
 * start with `{"offset":`. NaN for a line written any other way.
 */
export function offsetOfArchivedLine(json: string): number {
  return json.startsWith('{"offset":') ? Number.parseInt(json.slice(10, 30), 10) : Number.NaN;
}
