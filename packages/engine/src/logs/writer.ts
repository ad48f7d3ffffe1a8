import { PackedLinesBuilder } from "@gantry/core";
import type { Stream } from "../runners/types.js";
import type { ServiceContext } from "../service/context.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { appendLogChunks, appendLogChunksNotifying, type TaskKey } from "../store/queries/log-chunks.js";

export interface LogWriterOptions {
  /** A line waits at most this long before it is stored and announced. */
  maxDelayMs?: number;
  /** A batch is stored once it holds this much text. */
  maxBatchChars?: number;
  /** Past this much text not yet stored, the step's output is paused (back-pressure). */
  highWaterChars?: number;
  /**
   * Batches queued behind a slow store go in one transaction up to this much text. Default: 1 MiB on
   * PostgreSQL, where each commit waits for a WAL flush (a 200 MiB step: 8.6 s with one batch per
   * transaction, 4.3 s grouped); one batch on SQLite, whose store is synchronous: a bigger transaction
   * only held the event loop longer while the step's output waited (3.1 s against 3.25 s).
   */
  maxTransactionChars?: number;
}

/** A batch flushed and not yet stored: its chunk's columns, and its text's size for back-pressure. */
interface QueuedBatch {
  lines: PackedLinesBuilder;
  created_at: number;
  chars: number;
}

/**
 * Asked before each store: a rewrite of the texts when the step's masker learned secrets since its lines
 * were masked (another step of the run registered an `::add-mask::` value), else undefined.
 */
export type LateMasks = () => Promise<((text: string) => string) | undefined>;

/**
 * Batches one step attempt's lines into the store (at most 100 ms or 64 KiB per batch: a follower sees a
 * line within a tenth of a second) and announces each batch, so followers see lines live. Batches are written one after another, so
 * offsets follow the order the step printed them.
 */
export class TaskLogWriter {
  private buffer = new PackedLinesBuilder();
  private bufferChars = 0;
  private inFlightChars = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Batches flushed and not yet stored, in order; `storing` stores them while any are left. */
  private queue: QueuedBatch[] = [];
  private storing: Promise<void> | undefined;
  private roomWaiters: Array<() => void> = [];
  private readonly maxDelayMs: number;
  private readonly maxBatchChars: number;
  private readonly highWaterChars: number;
  private readonly maxTransactionChars: number;
  lines = 0;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly key: TaskKey,
    options: LogWriterOptions = {},
    private readonly onError: (error: Error) => void = () => {},
    private readonly lateMasks?: LateMasks,
  ) {
    this.maxDelayMs = options.maxDelayMs ?? 100;
    this.maxBatchChars = options.maxBatchChars ?? 64 * 1024;
    this.highWaterChars = options.highWaterChars ?? 4 * 1024 * 1024;
    this.maxTransactionChars =
      options.maxTransactionChars ?? (ctx.database.dialect === "postgres" ? 1024 * 1024 : 0);
  }

  line(stream: Stream, text: string, ts = Date.now()): void {
    this.buffer.add(stream, ts, text);
    this.bufferChars += text.length + 16;
    this.lines++;
    if (this.bufferChars >= this.maxBatchChars) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.maxDelayMs);
  }

  /** True while more text waits to be stored than the high-water mark: the producer should pause. */
  get full(): boolean {
    return this.bufferChars + this.inFlightChars > this.highWaterChars;
  }

  waitForRoom(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Stores what is buffered and waits until every batch is stored. */
  async close(): Promise<void> {
    this.flush();
    while (this.storing) await this.storing;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const lines = this.buffer;
    const chars = this.bufferChars;
    this.buffer = new PackedLinesBuilder();
    this.bufferChars = 0;
    this.inFlightChars += chars;
    this.queue.push({ lines, created_at: Date.now(), chars });
    this.storeAll();
  }

  private storeAll(): void {
    if (this.storing) return;
    this.storing = this.storeQueued().finally(() => {
      this.storing = undefined;
      // A batch queued after the loop found the queue empty, before this ran.
      if (this.queue.length > 0) this.storeAll();
    });
  }

  /**
   * Stores the queued batches, those waiting together in one transaction (each still its own chunk of
   * at most 64 KiB; see maxTransactionChars). With no backlog each batch is stored as soon as it is
   * flushed.
   */
  private async storeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batches = this.nextTransaction();
      try {
        await this.store(batches);
      } catch (error) {
        this.onError(error as Error);
      } finally {
        for (const batch of batches) this.inFlightChars -= batch.chars;
        if (!this.full) for (const wake of this.roomWaiters.splice(0)) wake();
      }
    }
  }

  /** The first queued batch, and those after it while the text stays under maxTransactionChars. */
  private nextTransaction(): QueuedBatch[] {
    let take = 1;
    let chars = this.queue[0]?.chars ?? 0;
    while (take < this.queue.length && chars < this.maxTransactionChars)
      chars += this.queue[take++]?.chars ?? 0;
    return this.queue.splice(0, take);
  }

  private async store(batches: QueuedBatch[]): Promise<void> {
    this.ctx.logCapture.note(Date.now());
    const rewrite = await this.lateMasks?.();
    if (rewrite) for (const batch of batches) batch.lines.mapTexts(rewrite);
    const chunks = batches.map(({ lines, created_at }) => ({
      ...this.key,
      line_count: lines.length,
      lines_json: lines.encode(),
      created_at,
    }));
    // On Postgres one statement stores and announces them (see appendLogChunksNotifying).
    const channel = this.ctx.notifier.databaseChannel?.("logs");
    // A dropped connection must not lose output: a few retries cover a reconnect.
    for (let attempt = 0; ; attempt++) {
      try {
        if (channel !== undefined && this.ctx.database.dialect === "postgres")
          await appendLogChunksNotifying(this.ctx.database.db, chunks, channel);
        else
          await withUnitOfWork(this.ctx, async (tx) => {
            await appendLogChunks(tx.db, chunks);
            tx.notify("logs", this.key.run_id);
          });
        break;
      } catch (error) {
        if (attempt >= 5) throw error;
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  }
}
