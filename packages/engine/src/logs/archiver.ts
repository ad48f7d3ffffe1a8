import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { finished } from "node:stream/promises";
import type { ServiceContext } from "../service/context.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { insertLogArchive } from "../store/queries/log-archives.js";
import { deleteTaskLogChunks, type TaskKey, taskLogChunks } from "../store/queries/log-chunks.js";
import { encodeChunks } from "./lines-codec.js";
import { archiveKey, type LogArchiveLike } from "./types.js";

const RECORD = ".record.json";
/** Chunks read per query while archiving: 16 × at most 64 KiB, so about 1 MiB of log in memory at once. */
const PAGE_CHUNKS = 16;

type SpoolRecord = TaskKey & {
  object_key: string;
  first_offset: number | null;
  last_offset: number | null;
  line_count: number;
  bytes: number;
};

/**
 * Moves a finished step attempt's log from live chunks in the store to one archived object. The chunks
 * are deleted only once the archive holds the object, in the same transaction that records it; when
 * the archive cannot be reached the object waits in a local spool and is uploaded when it is back, and
 * meanwhile the chunks keep serving the log. Nothing is lost either way.
 */
export class LogArchiver {
  private retryTimer: NodeJS.Timeout | undefined;
  private retrying: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly archive: LogArchiveLike,
    private readonly spoolDir: string,
    private readonly onError: (error: Error) => void = () => {},
    private readonly retryMs = 5_000,
  ) {}

  async archiveTask(key: TaskKey): Promise<void> {
    const objectKey = archiveKey(key.run_id, key.step, key.item_index, key.attempt);
    const spoolFile = path.join(this.spoolDir, objectKey.replace(/\//g, "__"));
    // Most steps print little: a log that fits one page goes to the archive straight from memory, one
    // write instead of a spool file, its record, a copy and two removals (about 1 ms a step, measured on
    // the 40-light-tasks benchmark). Only when that upload fails does it take the spool's way.
    const page = await taskLogChunks(this.ctx.database.db, key, { limit: PAGE_CHUNKS });
    if (page.length === 0) return;
    if (page.length < PAGE_CHUNKS) {
      const body = encodeChunks(page);
      const end = page.at(-1) as (typeof page)[number];
      const record = {
        ...key,
        object_key: objectKey,
        first_offset: Number(page[0]?.first_offset),
        last_offset: Number(end.first_offset) + end.line_count - 1,
        line_count: page.reduce((n, chunk) => n + chunk.line_count, 0),
        bytes: Buffer.byteLength(body),
      };
      try {
        await this.archive.put(objectKey, body);
        await this.recordArchived(record);
        return;
      } catch {
        // Unreachable archive: fall through to the spool, which keeps it until the archive is back.
      }
    }
    let record: SpoolRecord;
    try {
      await mkdir(this.spoolDir, { recursive: true });
      const written = await this.spool(key, spoolFile);
      // A step that printed nothing has no log to keep: no object, no record, three statements saved.
      if (!written) {
        await rm(spoolFile, { force: true });
        return;
      }
      record = { ...key, object_key: objectKey, ...written };
      // The body, then its record beside it: a spool entry counts only once its record exists.
      await writeFile(`${spoolFile}${RECORD}`, JSON.stringify(record));
    } catch (error) {
      // A full disk: a partial spool file would only fill it further. The lines stay in the store, where
      // the log is read from until an archive of it exists, so nothing of it is lost.
      await rm(spoolFile, { force: true }).catch(() => {});
      await rm(`${spoolFile}${RECORD}`, { force: true }).catch(() => {});
      throw new Error(
        `log spool ${this.spoolDir}: ${(error as Error).message}; the log of ${objectKey} stays in the database`,
      );
    }
    await this.upload(spoolFile, record).catch((error: Error) => {
      this.onError(new Error(`log archive unreachable, keeping ${objectKey} in the spool: ${error.message}`));
      this.scheduleRetry();
    });
  }

  /**
   * Writes the attempt's lines to `file` a page of chunks at a time, waiting for the disk when it is
   * slower than the database: memory holds one page (about 1 MiB), not the whole log.
   */
  private async spool(
    key: TaskKey,
    file: string,
  ): Promise<Pick<SpoolRecord, "first_offset" | "last_offset" | "line_count" | "bytes"> | undefined> {
    const out = createWriteStream(file);
    const done = finished(out);
    let first: number | null = null;
    let last: number | null = null;
    let count = 0;
    let bytes = 0;
    try {
      let startingAfter: number | undefined;
      for (;;) {
        const page = await taskLogChunks(this.ctx.database.db, key, {
          ...(startingAfter !== undefined ? { startingAfter } : {}),
          limit: PAGE_CHUNKS,
        });
        if (page.length === 0) break;
        const end = page.at(-1) as (typeof page)[number];
        startingAfter = Number(end.first_offset);
        first ??= Number(page[0]?.first_offset);
        last = Number(end.first_offset) + end.line_count - 1;
        for (const chunk of page) count += chunk.line_count;
        const body = encodeChunks(page);
        bytes += Buffer.byteLength(body);
        // `once` rejects on the stream's "error" (a full disk), so a failed write cannot hang here.
        if (!out.write(body)) await once(out, "drain");
      }
    } finally {
      out.end();
      await done;
    }
    return count === 0 ? undefined : { first_offset: first, last_offset: last, line_count: count, bytes };
  }

  /** Uploads everything left in the spool (at start, and while the archive was unreachable). */
  async flushSpool(): Promise<number> {
    let files: string[];
    try {
      files = await readdir(this.spoolDir);
    } catch {
      return 0;
    }
    let uploaded = 0;
    for (const name of files.filter((f) => f.endsWith(RECORD))) {
      const file = path.join(this.spoolDir, name.slice(0, -RECORD.length));
      const record = JSON.parse(await readFile(path.join(this.spoolDir, name), "utf8")) as SpoolRecord;
      await this.upload(file, record);
      uploaded++;
    }
    return uploaded;
  }

  stop(): void {
    // A retry in flight when stopped must not schedule another.
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private async upload(spoolFile: string, record: SpoolRecord): Promise<void> {
    await this.archive.putFile(record.object_key, spoolFile, record.bytes);
    await this.recordArchived(record);
    await rm(`${spoolFile}${RECORD}`, { force: true });
    await rm(spoolFile, { force: true });
  }

  /** The object is in the archive: record it and drop the live chunks, in one transaction. */
  private async recordArchived(record: SpoolRecord): Promise<void> {
    await withUnitOfWork(this.ctx, async ({ db: tx }) => {
      await insertLogArchive(tx, { ...record, created_at: this.ctx.now() });
      await deleteTaskLogChunks(tx, record);
    });
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.retrying) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retrying = this.flushSpool()
        .then(() => undefined)
        .catch(() => {
          // Clear `retrying` first: scheduleRetry returns early while it is set, so otherwise this retry
          // would be the last one, and an outage longer than one retryMs would leave the spool waiting for a restart.
          this.retrying = undefined;
          if (!this.stopped) this.scheduleRetry();
        })
        .finally(() => {
          this.retrying = undefined;
        });
    }, this.retryMs);
    this.retryTimer.unref();
  }
}
