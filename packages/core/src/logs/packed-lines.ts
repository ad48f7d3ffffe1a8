export type LogStream = "stdout" | "stderr";

/** One line of a step's output, as stored, archived, served and streamed. */
export interface LogLine {
  /** Position in the run's log, from 0; a follower resumes with `after=<offset>`. */
  offset: number;
  step: string;
  /** The item of a for_each step (0 otherwise). */
  item: number;
  attempt: number;
  stream: LogStream;
  /** ms since the epoch, when the worker read the line. */
  ts: number;
  text: string;
}

/** A line as first stored: `[stream, ts, text]`. */
export type StoredLine = [LogStream, number, string];

/**
 * Lines packed: the texts joined by "\n" (a captured line never holds one), the streams and the
 * timestamps as runs of `[value, count]`. Against an object per line it is a third of the bytes for
 * 50-byte lines, and against `[stream, ts, text]` per line 31% fewer and half the time to encode: the
 * JSON of 200 MB of short lines was a quarter of `gantry up`'s capture time (bench/: logs).
 */
export interface PackedLines {
  s: Array<[LogStream, number]>;
  t: Array<[number, number]>;
  x: string;
}

/**
 * Consecutive lines of one step attempt from `offset` on: a stored chunk as archived, and a packed
 * WebSocket message's element. `lines` is packed, or `[stream, ts, text]` per line (chunks written
 * before the packed form, and lines of which one holds a newline).
 */
export interface LinesBatch {
  offset: number;
  step: string;
  item: number;
  attempt: number;
  lines: PackedLines | StoredLine[];
}

/** Packs lines one at a time (see PackedLines). */
export class PackedLinesBuilder {
  private readonly texts: string[] = [];
  private readonly streams: Array<[LogStream, number]> = [];
  private readonly stamps: Array<[number, number]> = [];
  private newline = false;

  get length(): number {
    return this.texts.length;
  }

  add(stream: LogStream, ts: number, text: string): void {
    this.texts.push(text);
    addToRuns(this.streams, stream);
    addToRuns(this.stamps, ts);
    // Rare (a multi-line message of gantry's own): such lines are kept one array each.
    if (!this.newline && text.includes("\n")) this.newline = true;
  }

  /** Rewrites every line's text (a masker learned a secret after the lines were added). */
  mapTexts(rewrite: (text: string) => string): void {
    for (let i = 0; i < this.texts.length; i++) this.texts[i] = rewrite(this.texts[i] as string);
  }

  lines(): PackedLines | StoredLine[] {
    if (!this.newline) return { s: this.streams, t: this.stamps, x: this.texts.join("\n") };
    const streams = expandRuns(this.streams);
    const stamps = expandRuns(this.stamps);
    return this.texts.map((text, i): StoredLine => [streams[i] as LogStream, stamps[i] as number, text]);
  }

  encode(): string {
    return JSON.stringify(this.lines());
  }
}

/** Appends the lines of `batch` to `out`, with their offsets. */
export function expandLines(batch: LinesBatch, out: LogLine[] = []): LogLine[] {
  const { offset, step, item, attempt, lines } = batch;
  if (Array.isArray(lines)) {
    lines.forEach(([stream, ts, text], i) => {
      out.push({ offset: offset + i, step, item, attempt, stream, ts, text });
    });
    return out;
  }
  // No run is no line at all (an empty `x` alone would read as one empty line).
  if (lines.s.length === 0) return out;
  const streams = expandRuns(lines.s);
  const stamps = expandRuns(lines.t);
  lines.x.split("\n").forEach((text, i) => {
    const stream = streams[i] as LogStream;
    out.push({ offset: offset + i, step, item, attempt, stream, ts: stamps[i] as number, text });
  });
  return out;
}

/**
 * Lines as batches: one for each run of consecutive offsets of one step attempt (a step's log is one
 * batch; lines of steps running side by side alternate between several).
 */
export function packLines(lines: readonly LogLine[]): LinesBatch[] {
  const batches: LinesBatch[] = [];
  let builder: PackedLinesBuilder | undefined;
  let current: Omit<LinesBatch, "lines"> | undefined;
  let next = -1;
  const close = () => {
    if (current && builder) batches.push({ ...current, lines: builder.lines() });
  };
  for (const line of lines) {
    if (
      !current ||
      line.offset !== next ||
      line.step !== current.step ||
      line.item !== current.item ||
      line.attempt !== current.attempt
    ) {
      close();
      current = { offset: line.offset, step: line.step, item: line.item, attempt: line.attempt };
      builder = new PackedLinesBuilder();
    }
    builder?.add(line.stream, line.ts, line.text);
    next = line.offset + 1;
  }
  close();
  return batches;
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
