import type { Stream } from "../runners/types.js";
import type { LogChunkRow } from "../store/queries/log-chunks.js";
import type { LogLine } from "./types.js";

type StoredLine = [Stream, number, string];

/**
 * A stored chunk's lines, packed: the texts joined by "\n" (a captured line never holds one), the
 * streams and the timestamps as runs of `[value, count]`. Against an array of `[stream, ts, text]` per
 * line (still read: chunks and archives written before, and a batch holding a text with a newline) it
 * is 31% fewer bytes for 50-byte lines, and half the time to encode: the JSON of 200 MB of short lines
 * was a quarter of `gantry up`'s capture time, and its bytes most of SQLite's (bench/: logs).
 */
interface PackedLines {
  s: Array<[Stream, number]>;
  t: Array<[number, number]>;
  x: string;
}

/** Builds one chunk's `lines_json` line by line, packed (see PackedLines). */
export class StoredLinesBuilder {
  private texts: string[] = [];
  private streams: Array<[Stream, number]> = [];
  private stamps: Array<[number, number]> = [];
  private newline = false;

  get length(): number {
    return this.texts.length;
  }

  add(stream: Stream, ts: number, text: string): void {
    this.texts.push(text);
    addToRuns(this.streams, stream);
    addToRuns(this.stamps, ts);
    // Rare (a multi-line message of gantry's own): such a batch is stored unpacked.
    if (!this.newline && text.includes("\n")) this.newline = true;
  }

  encode(): string {
    if (!this.newline)
      return JSON.stringify({
        s: this.streams,
        t: this.stamps,
        x: this.texts.join("\n"),
      } satisfies PackedLines);
    const lines: StoredLine[] = [];
    const streams = expandRuns(this.streams);
    const stamps = expandRuns(this.stamps);
    this.texts.forEach((text, i) => {
      lines.push([streams[i] as Stream, stamps[i] as number, text]);
    });
    return JSON.stringify(lines);
  }
}

function addToRuns<T>(runs: Array<[T, number]>, value: T): void {
  const last = runs.at(-1);
  if (last && last[0] === value) last[1]++;
  else runs.push([value, 1]);
}

function expandRuns<T>(runs: Array<[T, number]>): T[] {
  const out: T[] = [];
  for (const [value, count] of runs) for (let i = 0; i < count; i++) out.push(value);
  return out;
}

/** The lines of stored chunks, with their offsets. */
export function linesOfChunks(chunks: LogChunkRow[]): LogLine[] {
  const out: LogLine[] = [];
  for (const chunk of chunks) {
    const lines = JSON.parse(chunk.lines_json) as StoredLine[] | PackedLines;
    expand(out, Number(chunk.first_offset), chunk.step, chunk.item_index, chunk.attempt, lines);
  }
  return out;
}

function expand(
  out: LogLine[],
  first: number,
  step: string,
  item: number,
  attempt: number,
  lines: StoredLine[] | PackedLines,
): void {
  if (Array.isArray(lines)) {
    lines.forEach(([stream, ts, text], i) => {
      out.push({ offset: first + i, step, item, attempt, stream, ts, text });
    });
    return;
  }
  // An empty run list is no line at all (an empty `x` alone would read as one empty line).
  if (lines.s.length === 0) return;
  const streams = expandRuns(lines.s);
  const stamps = expandRuns(lines.t);
  lines.x.split("\n").forEach((text, i) => {
    out.push({
      offset: first + i,
      step,
      item,
      attempt,
      stream: streams[i] as Stream,
      ts: stamps[i] as number,
      text,
    });
  });
}

/**
 * An archived object is JSON lines of two kinds: a log line (`{"offset", "step", "item", "attempt",
 * "stream", "ts", "text"}`, as archives were first written), or a stored batch of them
 * (`{"offset", "step", "item", "attempt", "lines": ...}`, `offset` being the first line's, `lines` a
 * chunk's `lines_json`: packed (see PackedLines) or, as first written, `[[stream, ts, text], ...]`).
 * The archiver writes batches: each is a chunk's JSON as the store holds it, copied without parsing, so archiving 200 MB costs a few string copies instead of parsing and re-encoding
 * four million lines (and the garbage that made the worker's memory swell by 160 MB at 50 MB).
 */
export function encodeArchive(lines: LogLine[]): string {
  return lines.map((l) => JSON.stringify(l)).join("\n") + (lines.length ? "\n" : "");
}

/** The archived form of stored chunks (one JSON line each), built without parsing their lines. */
export function encodeChunks(chunks: LogChunkRow[]): string {
  let out = "";
  for (const chunk of chunks) {
    out += `{"offset":${Number(chunk.first_offset)},"step":${JSON.stringify(chunk.step)},"item":${chunk.item_index},"attempt":${chunk.attempt},"lines":${chunk.lines_json}}\n`;
  }
  return out;
}

/** The log lines of one archived JSON line (a line, or a batch of them). */
export function decodeArchivedLine(json: string, out: LogLine[] = []): LogLine[] {
  const value = JSON.parse(json) as LogLine & { lines?: StoredLine[] | PackedLines };
  if (value.lines) expand(out, value.offset, value.step, value.item, value.attempt, value.lines);
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
