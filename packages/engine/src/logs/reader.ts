import type { Readable } from "node:stream";
import { type LogArchiveRow, listLogArchives } from "../store/queries/log-archives.js";
import { lastLogChunks, readLogChunks } from "../store/queries/log-chunks.js";
import type { Db } from "../store/queries/types.js";
import { decodeArchivedLine, linesOfChunks, offsetOfArchivedLine } from "./lines-codec.js";
import type { LogArchiveLike, LogLine } from "./types.js";

export interface ReadLogOptions {
  /** Only lines with a larger offset. */
  after?: number;
  step?: string;
  /** At most this many lines (with `after`, a range of the log). */
  limit?: number;
}

/** Live chunks read per query: 16 × at most 64 KiB, about 1 MiB. */
const PAGE_CHUNKS = 16;
/**
 * Lines handed out at once by `streamLogLines`. Batches also end at multiples of it (a batch holds
 * offsets `k × LOG_BATCH_LINES` to `(k + 1) × LOG_BATCH_LINES - 1`, fewer at the live end or with a step
 * filter), so readers that started at different offsets hand out the same batches.
 */
export const LOG_BATCH_LINES = 2_000;
/** Objects larger than this are searched for `after` with range reads instead of read from the start. */
const SEEK_ABOVE_BYTES = 1024 * 1024;
/** The search stops once the window left is this small, and reads it through. */
const SEEK_WINDOW_BYTES = 256 * 1024;
/** How much of an object a search probe reads first: grown until it holds a line's start. */
const PROBE_BYTES = 16 * 1024;

/**
 * A run's log lines in offset order, in batches, with memory bounded by a batch and a page (not by the
 * log's size): finished step attempts stream from the archive, running ones are paged from the live
 * chunks, and the sources are merged by offset (parallel steps interleave). An attempt is moved from
 * chunks to archive in one transaction; the archive list is read again after each page of chunks, so an
 * attempt moved meanwhile is picked up from the archive (its lines already sent are skipped by offset):
 * lines may be read twice, never sent twice, never missed.
 */
export async function* streamLogLines(
  db: Db,
  archive: LogArchiveLike,
  runId: string,
  options: ReadLogOptions = {},
): AsyncGenerator<LogLine[]> {
  const { step, limit } = options;
  // The offset of the last line handed out: the merge's position, and the duplicate filter.
  let position = options.after ?? -1;
  if (limit !== undefined && limit <= 0) return;
  const known = new Set<string>();
  const pending: LogArchiveRow[] = [];
  const addArchives = (rows: LogArchiveRow[]) => {
    for (const row of rows) {
      if (known.has(row.object_key) || row.first_offset === null) continue;
      known.add(row.object_key);
      pending.push(row);
    }
    pending.sort((a, b) => Number(a.first_offset) - Number(b.first_offset));
  };
  async function* chunkPages(): AsyncGenerator<LogLine[]> {
    let startingAfter: number | undefined;
    for (;;) {
      const page = await readLogChunks(db, runId, {
        after: position,
        limit: PAGE_CHUNKS,
        ...(step !== undefined ? { step } : {}),
        ...(startingAfter !== undefined ? { startingAfter } : {}),
      });
      // After the chunks: an attempt archived before this read is in this list.
      addArchives(
        await listLogArchives(db, runId, { after: position, ...(step !== undefined ? { step } : {}) }),
      );
      if (page.length === 0) return;
      startingAfter = Number(page.at(-1)?.first_offset);
      yield linesOfChunks(page);
      // A short page held every chunk there was when it was read; a chunk stored since is the next
      // read's (its writer announces it). Reading on cost a live follower two more statements a batch.
      if (page.length < PAGE_CHUNKS) return;
    }
  }

  const open: Cursor[] = [new Cursor(chunkPages())];
  let out: LogLine[] = [];
  let count = 0;
  try {
    for (;;) {
      for (const cursor of open) await cursor.ready();
      for (let i = open.length - 1; i >= 0; i--) if (open[i]?.done) open.splice(i, 1);
      let lowest: Cursor | undefined;
      let second = Number.POSITIVE_INFINITY;
      for (const cursor of open) {
        const offset = cursor.offset;
        if (!lowest || offset < lowest.offset) {
          if (lowest) second = Math.min(second, lowest.offset);
          lowest = cursor;
        } else second = Math.min(second, offset);
      }
      // An archived attempt starting at or before the next line may hold lines that come first: open
      // it (only then, so a run of 1000 sequential steps holds one object open, not 1000).
      const next = pending[0];
      const nextStart = next ? Number(next.first_offset) : Number.POSITIVE_INFINITY;
      if (next && (!lowest || nextStart <= lowest.offset)) {
        pending.shift();
        open.push(new Cursor(archiveLines(archive, next, position)));
        continue;
      }
      if (!lowest) break;
      // Equal offsets are one line from two sources: `<=` moves past them, the position drops the copy.
      while (lowest.head && lowest.offset <= second && lowest.offset < nextStart) {
        const line = lowest.take();
        if (line.offset <= position || (step !== undefined && line.step !== step)) continue;
        position = line.offset;
        out.push(line);
        if (++count === limit) {
          yield out;
          return;
        }
        // Batches also end at multiples of LOG_BATCH_LINES, so readers that started at different offsets
        // soon hand out the same batches (the server encodes each once for all its followers).
        if (out.length >= LOG_BATCH_LINES || (line.offset + 1) % LOG_BATCH_LINES === 0) {
          yield out;
          out = [];
        }
      }
    }
    if (out.length > 0) yield out;
  } finally {
    for (const cursor of open) await cursor.close();
  }
}

/**
 * A run's log lines in offset order, all at once: for small logs and tests. The server streams with
 * `streamLogLines` instead.
 */
export async function readLogLines(
  db: Db,
  archive: LogArchiveLike,
  runId: string,
  options: ReadLogOptions = {},
): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const batch of streamLogLines(db, archive, runId, options)) lines.push(...batch);
  return lines;
}

/**
 * The last `lines` lines of a run's log (or of one step's), reading only the end of each source: the
 * newest live chunks, and each archived object from its end backwards with range reads, newest first,
 * stopping at the first object that ends before the lines found so far.
 */
export async function tailLogLines(
  db: Db,
  archive: LogArchiveLike,
  runId: string,
  options: { lines: number; step?: string },
): Promise<LogLine[]> {
  const { lines: wanted, step } = options;
  const filter = step !== undefined ? { step } : {};
  // Chunks before the archive list, as in streamLogLines: a move in between shows lines twice, not never.
  const found = linesOfChunks(await lastLogChunks(db, runId, { lines: wanted, ...filter }));
  const rows = (await listLogArchives(db, runId, filter))
    .filter((row) => row.last_offset !== null)
    .sort((a, b) => Number(b.last_offset) - Number(a.last_offset));
  for (const row of rows) {
    if (found.length >= wanted) {
      const threshold = found.map((l) => l.offset).sort((a, b) => b - a)[wanted - 1] ?? -1;
      if (Number(row.last_offset) < threshold) break;
    }
    found.push(...(await lastArchiveLines(archive, row, wanted)));
  }
  const byOffset = new Map<number, LogLine>();
  for (const line of found) if (step === undefined || line.step === step) byOffset.set(line.offset, line);
  return [...byOffset.values()].sort((a, b) => a.offset - b.offset).slice(-wanted);
}

/** One source of lines in offset order, read a batch at a time. */
class Cursor {
  private buffer: LogLine[] = [];
  private index = 0;
  done = false;

  constructor(private readonly batches: AsyncGenerator<LogLine[]>) {}

  get head(): LogLine | undefined {
    return this.buffer[this.index];
  }

  /** The next line's offset; only meaningful after `ready()` when not `done`. */
  get offset(): number {
    return this.buffer[this.index]?.offset ?? Number.POSITIVE_INFINITY;
  }

  take(): LogLine {
    return this.buffer[this.index++] as LogLine;
  }

  /** Has a line to look at, or is done. */
  async ready(): Promise<void> {
    while (!this.done && this.index >= this.buffer.length) {
      const next = await this.batches.next();
      if (next.done) this.done = true;
      else {
        this.buffer = next.value;
        this.index = 0;
      }
    }
  }

  async close(): Promise<void> {
    await this.batches.return(undefined);
  }
}

/** An archived attempt's lines after `after`, a read buffer at a time. */
async function* archiveLines(
  archive: LogArchiveLike,
  row: LogArchiveRow,
  after: number,
): AsyncGenerator<LogLine[]> {
  const bytes = Number(row.bytes);
  const start =
    after >= Number(row.first_offset) && bytes > SEEK_ABOVE_BYTES
      ? await seekAfter(archive, row.object_key, bytes, after)
      : 0;
  const stream = await archive.open(row.object_key, start > 0 ? { start } : undefined);
  if (!stream) return;
  try {
    yield* splitLines(stream, after);
  } finally {
    stream.destroy();
  }
}

/**
 * Parses a stream of archived JSON lines, skipping (unparsed) those wholly at or before `after`: a JSON
 * line (a batch) is held until the next one starts, and dropped when that one starts at `after + 1` or
 * before.
 */
async function* splitLines(stream: Readable, after: number): AsyncGenerator<LogLine[]> {
  let rest: Buffer | undefined;
  let held: string | undefined;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    const lines: LogLine[] = [];
    let from = 0;
    for (let end = buffer.indexOf(10, from); end !== -1; end = buffer.indexOf(10, from)) {
      const json = buffer.toString("utf8", from, end);
      from = end + 1;
      if (json === "") continue;
      if (held !== undefined && !(offsetOfArchivedLine(json) <= after + 1)) pushLines(lines, held, after);
      held = json;
    }
    rest = from < buffer.length ? buffer.subarray(from) : undefined;
    if (lines.length > 0) yield lines;
  }
  const last: LogLine[] = [];
  if (held !== undefined) pushLines(last, held, after);
  if (rest && rest.length > 0) pushLines(last, rest.toString("utf8"), after);
  if (last.length > 0) yield last;
}

function pushLines(lines: LogLine[], json: string, after: number): void {
  for (const line of decodeArchivedLine(json)) if (line.offset > after) lines.push(line);
}

/**
 * A byte position in an archived object at a line's start such that every line before it has an offset
 * at most `after`: a binary search by range reads (about 10 probes of 16 to 256 KiB for 200 MB), so resuming
 * near the end of a big log does not read it from the start. Reading from the position may still pass
 * a few KiB of earlier lines, which the reader skips.
 */
async function seekAfter(
  archive: LogArchiveLike,
  key: string,
  bytes: number,
  after: number,
): Promise<number> {
  let low = 0;
  let high = bytes;
  search: while (high - low > SEEK_WINDOW_BYTES) {
    const middle = Math.floor((low + high) / 2);
    // A batch is up to about 64 KiB of JSON (more with escapes): grow the probe until a line starts in it.
    for (let size = PROBE_BYTES; ; size *= 4) {
      const end = Math.min(high, middle + size);
      const probe = await readRange(archive, key, middle, end);
      if (probe === undefined) return 0;
      const newline = probe.indexOf(10);
      if (newline !== -1 && newline + 32 <= probe.length) {
        const offset = offsetOfArchivedLine(probe.toString("latin1", newline + 1, newline + 32));
        if (Number.isNaN(offset)) return low;
        if (offset <= after) low = middle + newline + 1;
        else high = middle;
        continue search;
      }
      // No line starts between the middle and `high`: the answer is left of the middle.
      if (end === high) {
        high = middle;
        continue search;
      }
    }
  }
  return low;
}

/** The last `count` lines of an archived object, read from its end in growing windows. */
async function lastArchiveLines(
  archive: LogArchiveLike,
  row: LogArchiveRow,
  count: number,
): Promise<LogLine[]> {
  const bytes = Number(row.bytes);
  for (let window = 64 * 1024; ; window *= 4) {
    const start = Math.max(0, bytes - window);
    const body = await readRange(archive, row.object_key, start, bytes);
    if (body === undefined) return [];
    let text = body.toString("utf8");
    // The window's first line is cut unless the window starts the object.
    if (start > 0) text = text.slice(text.indexOf("\n") + 1);
    const jsons = text.split("\n").filter((l) => l !== "");
    // From the end, a JSON line (possibly a batch) at a time, until enough lines.
    const batches: LogLine[][] = [];
    let total = 0;
    for (let i = jsons.length - 1; i >= 0 && total < count; i--) {
      const batch = decodeArchivedLine(jsons[i] as string);
      batches.push(batch);
      total += batch.length;
    }
    if (total >= count || start === 0) return batches.reverse().flat().slice(-count);
  }
}

async function readRange(
  archive: LogArchiveLike,
  key: string,
  start: number,
  end: number,
): Promise<Buffer | undefined> {
  const stream = await archive.open(key, { start, end });
  if (!stream) return undefined;
  const parts: Buffer[] = [];
  for await (const part of stream as AsyncIterable<Buffer>) parts.push(part);
  return Buffer.concat(parts);
}
