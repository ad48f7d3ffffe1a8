import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { taskLogChunks } from "../store/queries/log-chunks.js";
import { insertTestRun, nextNotification, sqliteContext, taskKey } from "../testing/log-fixtures.js";
import { tempDir } from "../testing/temp-dir.js";
import { waitFor } from "../testing/wait-for.js";
import { LogArchiver } from "./archiver.js";
import { decodeArchive, linesOfChunks } from "./lines-codec.js";
import { LocalLogArchive } from "./local-archive.js";
import { readLogLines } from "./reader.js";
import { archiveKey, type ByteRange, type LogArchiveLike } from "./types.js";
import { TaskLogWriter } from "./writer.js";
import { describeLogWriter } from "./writer-suite.js";

type Context = Awaited<ReturnType<typeof sqliteContext>>;

let ctx: Context;
let tmp: ReturnType<typeof tempDir>;

beforeEach(async () => {
  ctx = await sqliteContext();
  tmp = tempDir("gantry-logs-");
});

afterEach(async () => {
  await ctx.close();
  tmp.cleanup();
});

const allChunks = () =>
  ctx.database.db.selectFrom("log_chunks").selectAll().orderBy("first_offset").execute();
const allArchives = () => ctx.database.db.selectFrom("log_archives").selectAll().execute();

/** Writes `texts` as one step attempt's stdout and stores them all. */
async function writeStep(runId: string, step: string, texts: string[], attempt = 1): Promise<void> {
  const writer = new TaskLogWriter(ctx, taskKey(runId, step, attempt), { maxBatchChars: 64 });
  for (const text of texts) writer.line("stdout", text);
  await writer.close();
}

describe("TaskLogWriter", () => {
  it("stores lines printed together as one batch within the delay and announces it", async () => {
    const runId = await insertTestRun(ctx);
    const announced = nextNotification(ctx.notifier, "logs");
    const writer = new TaskLogWriter(ctx, taskKey(runId, "build"), { maxDelayMs: 150 });
    const started = Date.now();
    writer.line("stdout", "one", 1000);
    writer.line("stderr", "two", 1001);
    writer.line("stdout", "\u001b[32mthree\u001b[0m", 1002);
    // Batched, not stored line by line.
    expect(await allChunks()).toEqual([]);
    expect(await announced).toBe(runId);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(140);
    expect(waited).toBeLessThan(2000);
    const chunks = await allChunks();
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ run_id: runId, step: "build", first_offset: 0, line_count: 3 });
    expect(linesOfChunks(chunks).map(({ stream, ts, text }) => [stream, ts, text])).toEqual([
      ["stdout", 1000, "one"],
      ["stderr", 1001, "two"],
      ["stdout", 1002, "\u001b[32mthree\u001b[0m"],
    ]);
    await writer.close();
    expect(await allChunks()).toHaveLength(1);
  });

  it("stores a 64 KiB batch at once instead of waiting for the delay", async () => {
    const runId = await insertTestRun(ctx);
    // A delay no test would wait for: only the size can trigger this flush.
    const writer = new TaskLogWriter(ctx, taskKey(runId, "big"), { maxDelayMs: 60_000 });
    const announced = nextNotification(ctx.notifier, "logs", 3000);
    // 64 lines of 1 KiB: 64 KiB of text, a full batch.
    for (let i = 0; i < 64; i++) writer.line("stdout", `${i}`.padEnd(1024, "x"));
    await announced;
    const [first] = await allChunks();
    const texts = linesOfChunks([first!]).map((l) => [l.stream, l.ts, l.text] as const);
    // Each line counts its text plus a little overhead, so the batch is full at or just below 64 KiB.
    const chars = texts.reduce((n, [, , text]) => n + text.length, 0);
    expect(chars).toBeGreaterThanOrEqual(60 * 1024);
    expect(chars).toBeLessThanOrEqual(64 * 1024);
    writer.line("stdout", "tail");
    await writer.close();
    const chunks = await allChunks();
    let next = 0;
    for (const chunk of chunks) {
      expect(Number(chunk.first_offset)).toBe(next);
      next += chunk.line_count;
    }
    expect(next).toBe(65);
    expect(chunks.length).toBeLessThanOrEqual(2);
  });

  it("reports itself full past the high-water mark and makes room once the batch is stored", async () => {
    const runId = await insertTestRun(ctx);
    const writer = new TaskLogWriter(ctx, taskKey(runId, "flood"), { highWaterChars: 100, maxDelayMs: 30 });
    expect(writer.full).toBe(false);
    await writer.waitForRoom();
    for (let i = 0; i < 10; i++) writer.line("stdout", `line ${i} of the flood`);
    expect(writer.full).toBe(true);
    let storedWhenWoken = -1;
    const room = writer.waitForRoom().then(async () => {
      storedWhenWoken = (await allChunks()).reduce((n, c) => n + c.line_count, 0);
    });
    await Promise.race([
      room,
      new Promise((_, reject) => setTimeout(() => reject(new Error("waitForRoom never resolved")), 5000)),
    ]);
    expect(storedWhenWoken).toBe(10);
    expect(writer.full).toBe(false);
    await writer.close();
  });
});

describe("LogArchiver and readLogLines", () => {
  it("moves a finished step's chunks into one object, deletes them, and reads the same lines", async () => {
    const runId = await insertTestRun(ctx);
    await writeStep(runId, "build", ["b1", "b2", "b3", "b4", "b5"]);
    await writeStep(runId, "test", ["t1", "t2"]);
    expect((await taskLogChunks(ctx.database.db, taskKey(runId, "build"))).length).toBeGreaterThan(1);
    const archive = new LocalLogArchive(path.join(tmp.dir, "archive"));
    const before = await readLogLines(ctx.database.db, archive, runId);
    expect(before.map((l) => l.text)).toEqual(["b1", "b2", "b3", "b4", "b5", "t1", "t2"]);

    const errors: Error[] = [];
    const archiver = new LogArchiver(ctx, archive, path.join(tmp.dir, "spool"), (e) => errors.push(e));
    await archiver.archiveTask(taskKey(runId, "build"));
    expect(errors).toEqual([]);
    expect(await taskLogChunks(ctx.database.db, taskKey(runId, "build"))).toEqual([]);
    expect((await allChunks()).every((c) => c.step === "test")).toBe(true);
    expect(await allArchives()).toMatchObject([
      {
        run_id: runId,
        step: "build",
        object_key: archiveKey(runId, "build", 0, 1),
        first_offset: 0,
        last_offset: 4,
        line_count: 5,
      },
    ]);
    const body = await archive.get(archiveKey(runId, "build", 0, 1));
    expect(decodeArchive(body ?? "").map((l) => l.text)).toEqual(["b1", "b2", "b3", "b4", "b5"]);
    expect(await readLogLines(ctx.database.db, archive, runId)).toEqual(before);
    // Nothing went through the spool: a small log is uploaded straight from memory.
    expect(existsSync(path.join(tmp.dir, "spool")) ? readdirSync(path.join(tmp.dir, "spool")) : []).toEqual(
      [],
    );

    await archiver.archiveTask(taskKey(runId, "test"));
    expect(await allChunks()).toEqual([]);
    expect(await readLogLines(ctx.database.db, archive, runId)).toEqual(before);
    archiver.stop();
  });

  it("filters by offset and step across archived and live lines", async () => {
    const runId = await insertTestRun(ctx);
    await writeStep(runId, "build", ["b0", "b1", "b2"]);
    await writeStep(runId, "test", ["t3", "t4"]);
    await writeStep(runId, "build", ["b5", "b6"], 2);
    const archive = new LocalLogArchive(path.join(tmp.dir, "archive"));
    const archiver = new LogArchiver(ctx, archive, path.join(tmp.dir, "spool"));
    await archiver.archiveTask(taskKey(runId, "build"));
    const read = async (options: { after?: number; step?: string }) =>
      (await readLogLines(ctx.database.db, archive, runId, options)).map((l) => `${l.offset}:${l.text}`);
    expect(await read({ after: 1 })).toEqual(["2:b2", "3:t3", "4:t4", "5:b5", "6:b6"]);
    expect(await read({ after: 4 })).toEqual(["5:b5", "6:b6"]);
    expect(await read({ after: 6 })).toEqual([]);
    expect(await read({ step: "build" })).toEqual(["0:b0", "1:b1", "2:b2", "5:b5", "6:b6"]);
    expect(await read({ step: "build", after: 2 })).toEqual(["5:b5", "6:b6"]);
    expect(await read({ step: "test", after: 3 })).toEqual(["4:t4"]);
    expect(await read({ step: "nope" })).toEqual([]);
    const attempts = (await readLogLines(ctx.database.db, archive, runId, { step: "build" })).map(
      (l) => l.attempt,
    );
    expect(attempts).toEqual([1, 1, 1, 2, 2]);
    archiver.stop();
  });

  it("keeps the chunks and a spooled copy while the archive fails, then uploads it once, losing nothing", async () => {
    const runId = await insertTestRun(ctx);
    await writeStep(
      runId,
      "deploy",
      Array.from({ length: 40 }, (_, i) => `deploy line ${i}`),
    );
    const archive = new FlakyArchive(new LocalLogArchive(path.join(tmp.dir, "archive")));
    const spool = path.join(tmp.dir, "spool");
    const errors: Error[] = [];
    // A retry far in the future: this test flushes the spool itself.
    const archiver = new LogArchiver(ctx, archive, spool, (e) => errors.push(e), 3_600_000);
    const before = await readLogLines(ctx.database.db, archive, runId);
    expect(before).toHaveLength(40);

    archive.down = true;
    await archiver.archiveTask(taskKey(runId, "deploy"));
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/unreachable, keeping .*deploy\.0\.1\.jsonl in the spool: connection refused/),
    ]);
    expect(await taskLogChunks(ctx.database.db, taskKey(runId, "deploy"))).not.toEqual([]);
    expect(await allArchives()).toEqual([]);
    expect(readdirSync(spool)).toHaveLength(2);
    expect(await readLogLines(ctx.database.db, archive, runId)).toEqual(before);
    // Still down: flushing fails and keeps everything.
    await expect(archiver.flushSpool()).rejects.toThrow(/connection refused/);
    expect(readdirSync(spool)).toHaveLength(2);

    archive.down = false;
    expect(await archiver.flushSpool()).toBe(1);
    expect(archive.puts).toBe(1);
    expect(await allChunks()).toEqual([]);
    expect(await allArchives()).toHaveLength(1);
    expect(readdirSync(spool)).toEqual([]);
    expect(await readLogLines(ctx.database.db, archive, runId)).toEqual(before);
    expect(await archiver.flushSpool()).toBe(0);
    expect(archive.puts).toBe(1);
    archiver.stop();
  });

  it("retries the spool on its own until the archive is back, however long it is down", async () => {
    const runId = await insertTestRun(ctx);
    await writeStep(runId, "deploy", ["one", "two", "three"]);
    const archive = new FlakyArchive(new LocalLogArchive(path.join(tmp.dir, "archive")));
    const archiver = new LogArchiver(ctx, archive, path.join(tmp.dir, "spool"), () => {}, 20);
    try {
      archive.down = true;
      await archiver.archiveTask(taskKey(runId, "deploy"));
      // The first attempt and at least two retries fail.
      await waitFor(() => archive.failures >= 3, { what: "three failed uploads", timeoutMs: 5000 });
      archive.down = false;
      await waitFor(async () => (await allArchives()).length === 1, {
        what: "the spooled log to be uploaded",
      });
      expect(await allChunks()).toEqual([]);
      const lines = await readLogLines(ctx.database.db, archive, runId);
      expect(lines.map((l) => l.text)).toEqual(["one", "two", "three"]);
    } finally {
      archiver.stop();
    }
  });
});

/** An archive that refuses uploads while `down`, as an unreachable S3 would. */
class FlakyArchive implements LogArchiveLike {
  down = false;
  puts = 0;
  failures = 0;

  constructor(private readonly inner: LogArchiveLike) {}

  async put(key: string, body: string): Promise<void> {
    this.reach();
    await this.inner.put(key, body);
  }

  async putFile(key: string, file: string, bytes: number): Promise<void> {
    this.reach();
    await this.inner.putFile(key, file, bytes);
  }

  private reach(): void {
    if (this.down) {
      this.failures++;
      throw new Error("connection refused");
    }
    this.puts++;
  }

  get(key: string): Promise<string | undefined> {
    return this.inner.get(key);
  }

  open(key: string, range?: ByteRange): Promise<Readable | undefined> {
    return this.inner.open(key, range);
  }

  delete(keys: string[]): Promise<void> {
    return this.inner.delete(keys);
  }
}

describeLogWriter("SQLite", sqliteContext);
