import { appendFile, readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { MAX_LINE_CHARS } from "../runners/lines.js";
import type { Stream } from "../runners/types.js";
import type { AgentLogLine } from "../store/queries/agent-log.js";
import { type AgentApi, AgentApiError } from "./agent-api.js";

/** `::add-mask::` values one log batch carries at most (the server's schema refuses more). */
export const MASKS_PER_BATCH = 16;
/** The longest value sent while the step runs (a line's); a longer one reaches the run with its result. */
export const MAX_MASK_CHARS = MAX_LINE_CHARS;
/** The JSON of one batch's values stays within this: the server's body limit adds it to the lines'. */
export const MASKS_BATCH_CHARS = 1024 * 1024;

export interface AgentLogStreamOptions {
  api: AgentApi;
  jobId: number;
  workerId: string;
  /** This attempt's spool file: lines the server could not take yet wait there, one JSON line each. */
  spoolFile: string;
  /** A line waits at most this long before it is sent. */
  maxDelayMs?: number;
  /** Lines per request. */
  maxBatchLines?: number;
  /** How long to wait between tries while the server is away. */
  retryMs?: number;
  onError?: (error: Error) => void;
}

/**
 * One step attempt's log, sent from an agent to the server. Every line has its number in the attempt
 * (from 0): a batch says the number of its first line, and the server stores each number once, so a
 * batch sent again after a lost answer is neither lost nor doubled. While the server is away, lines
 * go to a spool file on disk (not memory) and are sent, in order, when it is back. A 409 means the
 * job's lease is gone: the rest of the log is dropped, as the attempt's result is.
 *
 * A value the step registers with `::add-mask::` goes with the next batch, sent at once, and ahead of
 * every line printed after it: the server joins it to the run's masks before it stores those lines, so
 * steps running elsewhere mask it from then on. Such values stay in memory, never in the spool file.
 */
export class AgentLogStream {
  /** Lines printed so far: the next line's number. */
  lines = 0;
  /** Lines the server holds. */
  private acked = 0;
  /** Lines in the spool file not yet sent (they come before those in `memory`). */
  private spooled = 0;
  /** Lines of the spool file already sent, at its start. */
  private spoolSent = 0;
  private memory: AgentLogLine[] = [];
  /** `::add-mask::` values the server has not taken yet, in the order printed. */
  private masks: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private offline = false;
  private closed = false;
  /** Set once the server answered that the job is not this agent's any more. */
  lost: string | undefined;
  private readonly maxDelayMs: number;
  private readonly maxBatchLines: number;
  private readonly retryMs: number;

  constructor(private readonly options: AgentLogStreamOptions) {
    this.maxDelayMs = options.maxDelayMs ?? 100;
    this.maxBatchLines = options.maxBatchLines ?? 2000;
    this.retryMs = options.retryMs ?? 500;
  }

  line(stream: Stream, text: string, ts = Date.now()): void {
    if (this.lost !== undefined) return;
    this.memory.push([stream, ts, text]);
    this.lines++;
    this.timer ??= setTimeout(() => this.flush(), this.maxDelayMs);
  }

  /** A value the step registered with `::add-mask::` (already masked in its lines here). */
  mask(value: string): void {
    if (this.lost !== undefined || value === "" || value.length > MAX_MASK_CHARS) return;
    this.masks.push(value);
    // While the server is away the retry timer sends it with the spooled lines.
    if (!this.offline) this.flush();
  }

  /**
   * Sends what is left and waits until the server holds every line, the lease is found gone, or
   * `deadline` (epoch ms) passes: then the spool file stays, and the error says how many lines wait.
   */
  async close(deadline = Number.POSITIVE_INFINITY): Promise<void> {
    this.closed = true;
    while (this.unsent && this.lost === undefined) {
      this.flush();
      const pumping = this.pumping;
      if (pumping) await pumping;
      if (!this.unsent || this.lost !== undefined) break;
      if (Date.now() >= deadline) {
        this.options.onError?.(
          new Error(
            `log of job ${this.options.jobId}: ${this.lines - this.acked} lines not sent (server unreachable); kept in ${this.options.spoolFile}`,
          ),
        );
        return;
      }
      await sleep(this.retryMs);
    }
    if (this.timer) clearTimeout(this.timer);
    await rm(this.options.spoolFile, { force: true });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pumping || this.lost !== undefined) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      // Lines printed while the last request was out, or a server that was away: try again soon.
      if (!this.closed && this.unsent && this.lost === undefined)
        this.timer ??= setTimeout(() => this.flush(), this.offline ? this.retryMs : this.maxDelayMs);
    });
  }

  /** Lines or `::add-mask::` values the server does not hold yet. */
  private get unsent(): boolean {
    return this.acked < this.lines || this.masks.length > 0;
  }

  /**
   * Sends from the first line the server lacks, the spooled lines first, with the values waiting, until
   * all are sent or a try fails.
   */
  private async pump(): Promise<void> {
    while (this.unsent && this.lost === undefined) {
      if (this.offline) await this.spoolMemory();
      const masks = this.nextMasks();
      // Values left for a later batch hold every line back: one of those lines may print them.
      const batch =
        masks.length < this.masks.length
          ? []
          : this.spooled > 0
            ? await this.readSpool()
            : this.memory.slice(0, this.maxBatchLines);
      const from = this.acked;
      try {
        const answer = await this.options.api.post<{ lines: number; gap: boolean }>(
          `jobs/${this.options.jobId}/logs`,
          { workerId: this.options.workerId, from, lines: batch, ...(masks.length > 0 ? { masks } : {}) },
        );
        if (answer.gap)
          throw new Error(
            `the server holds ${answer.lines} lines of job ${this.options.jobId}, this agent sent from ${from}`,
          );
        this.offline = false;
        this.masks.splice(0, masks.length);
        this.advance(Math.max(0, answer.lines - from));
      } catch (error) {
        if (error instanceof AgentApiError && error.status === 409) {
          this.lost = error.message;
          this.memory = [];
          this.masks = [];
          return;
        }
        if (!this.offline)
          this.options.onError?.(
            new Error(`log of job ${this.options.jobId}: ${(error as Error).message}; spooling to disk`),
          );
        this.offline = true;
        await this.spoolMemory();
        return;
      }
    }
  }

  /** The first values waiting, as many as one batch carries. */
  private nextMasks(): string[] {
    let chars = 0;
    let count = 0;
    for (const value of this.masks.slice(0, MASKS_PER_BATCH)) {
      chars += JSON.stringify(value).length + 1;
      if (count > 0 && chars > MASKS_BATCH_CHARS) break;
      count++;
    }
    return this.masks.slice(0, count);
  }

  /** The server took `count` more lines: they leave the spool or memory, whichever they came from. */
  private advance(count: number): void {
    this.acked += count;
    const fromSpool = Math.min(count, this.spooled);
    this.spooled -= fromSpool;
    this.spoolSent += fromSpool;
    this.memory.splice(0, count - fromSpool);
  }

  /** Moves the lines held in memory to the end of the spool file. */
  private async spoolMemory(): Promise<void> {
    if (this.memory.length === 0) return;
    const moving = this.memory;
    this.memory = [];
    await appendFile(this.options.spoolFile, moving.map((line) => `${JSON.stringify(line)}\n`).join(""));
    this.spooled += moving.length;
  }

  private async readSpool(): Promise<AgentLogLine[]> {
    const text = await readFile(this.options.spoolFile, "utf8");
    const all = text.split("\n");
    const batch = all
      .slice(this.spoolSent, this.spoolSent + Math.min(this.spooled, this.maxBatchLines))
      .map((line) => JSON.parse(line) as AgentLogLine);
    return batch;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A spool file untouched for this long belongs to a job whose lease is long over (a lease is at most 10 min). */
const STALE_SPOOL_MS = 3_600_000;

/**
 * Removes spool files a previous agent process left (it stopped before the server came back): their
 * jobs were handed to other workers long ago, so the server would refuse them. Returns how many.
 */
export async function removeStaleSpool(dir: string, now = Date.now()): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile() && now - info.mtimeMs > STALE_SPOOL_MS) {
      await rm(file, { force: true });
      removed++;
    }
  }
  return removed;
}
