import type { LogLine } from "@gantry/engine";

/** The cache's bound, counting each line's text plus this much for its other fields. */
const MAX_CHARS = 16 * 1024 * 1024;
const LINE_OVERHEAD_CHARS = 100;

type Batches = Map<number, LogLine[]>;

/**
 * Whole batches of one run's log (see LOG_BATCH_LINES), by batch number and step filter, least recently
 * used first out. Only complete batches enter (the caller reads below its shared position), so an entry
 * never changes; every follower catching up is handed the same array, which the route encodes once.
 */
export class LogBatchCache {
  /** Batches one read fills: a store page holds about 20,000 short lines, so one read serves several. */
  static readonly READ_AHEAD = 8;
  private readonly batches = new Map<string, LogLine[]>();
  private readonly reading = new Map<string, Promise<Batches>>();
  private chars = 0;

  /** Batch `batch` for `step`, from the cache, from a read in flight that covers it, or from `read()`. */
  async get(batch: number, step: string | undefined, read: () => Promise<Batches>): Promise<LogLine[]> {
    const key = keyOf(batch, step);
    const hit = this.batches.get(key);
    if (hit) {
      // A Map iterates in insertion order: moved to the end, it is the most recently used.
      this.batches.delete(key);
      this.batches.set(key, hit);
      return hit;
    }
    const inFlight = this.reading.get(key);
    if (inFlight) {
      const found = (await inFlight).get(batch);
      if (found) return found;
    }
    const pending = read();
    const keys = Array.from({ length: LogBatchCache.READ_AHEAD }, (_, i) => keyOf(batch + i, step));
    for (const k of keys) this.reading.set(k, pending);
    try {
      const found = await pending;
      for (const [k, lines] of found) this.put(keyOf(k, step), lines);
      return found.get(batch) ?? [];
    } finally {
      for (const k of keys) if (this.reading.get(k) === pending) this.reading.delete(k);
    }
  }

  private put(key: string, lines: LogLine[]): void {
    if (this.batches.has(key)) return;
    this.batches.set(key, lines);
    this.chars += charsOf(lines);
    for (const [oldest, evicted] of this.batches) {
      if (this.chars <= MAX_CHARS || oldest === key) break;
      this.batches.delete(oldest);
      this.chars -= charsOf(evicted);
    }
  }
}

const keyOf = (batch: number, step: string | undefined) => `${step ?? ""}\u0000${batch}`;

function charsOf(lines: LogLine[]): number {
  let chars = 0;
  for (const line of lines) chars += line.text.length + LINE_OVERHEAD_CHARS;
  return chars;
}
