import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ServiceContext } from "../service/context.js";
import { insertLogArchive } from "../store/queries/log-archives.js";
import { deleteTaskLogChunks, type TaskKey, taskLogChunks } from "../store/queries/log-chunks.js";
import { encodeArchive, linesOfChunks } from "./lines-codec.js";
import { archiveKey, type LogArchiveLike } from "./types.js";

const RECORD = ".record.json";

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
    const chunks = await taskLogChunks(this.ctx.database.db, key);
    // A step that printed nothing has no log to keep: no object, no record, three statements saved.
    if (chunks.length === 0) return;
    const lines = linesOfChunks(chunks);
    const objectKey = archiveKey(key.run_id, key.step, key.item_index, key.attempt);
    const body = encodeArchive(lines);
    const record = {
      ...key,
      object_key: objectKey,
      first_offset: lines[0]?.offset ?? null,
      last_offset: lines.at(-1)?.offset ?? null,
      line_count: lines.length,
      bytes: Buffer.byteLength(body),
    };
    // The body, then its record beside it: a spool entry counts only once its record exists.
    const spoolFile = path.join(this.spoolDir, objectKey.replace(/\//g, "__"));
    await mkdir(this.spoolDir, { recursive: true });
    await writeFile(spoolFile, body);
    await writeFile(`${spoolFile}${RECORD}`, JSON.stringify(record));
    await this.upload(spoolFile, record, body).catch((error: Error) => {
      this.onError(new Error(`log archive unreachable, keeping ${objectKey} in the spool: ${error.message}`));
      this.scheduleRetry();
    });
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
      await this.upload(file, record, await readFile(file, "utf8"));
      uploaded++;
    }
    return uploaded;
  }

  stop(): void {
    // A retry in flight when stopped must not schedule another.
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private async upload(spoolFile: string, record: SpoolRecord, body: string): Promise<void> {
    await this.archive.put(record.object_key, body);
    await this.ctx.database.db.transaction().execute(async (tx) => {
      await insertLogArchive(tx, { ...record, created_at: this.ctx.now() });
      await deleteTaskLogChunks(tx, record);
    });
    await rm(`${spoolFile}${RECORD}`, { force: true });
    await rm(spoolFile, { force: true });
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.retrying) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retrying = this.flushSpool()
        .then(() => undefined)
        .catch(() => {
          // Clear `retrying` first: scheduleRetry returns early while it is set, so this retry used to
          // be the last one, and an outage longer than one retryMs left the spool waiting for a restart.
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
