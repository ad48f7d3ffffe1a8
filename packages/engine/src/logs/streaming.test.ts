import type { Readable } from "node:stream";
import { Transform } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readLogChunks } from "../store/queries/log-chunks.js";
import { insertTestRun, sqliteContext, taskKey } from "../testing/log-fixtures.js";
import { tempDir } from "../testing/temp-dir.js";
import { LogArchiver } from "./archiver.js";
import { LocalLogArchive } from "./local-archive.js";
import { readLogLines, streamLogLines, tailLogLines } from "./reader.js";
import type { ByteRange, LogArchiveLike } from "./types.js";
import { TaskLogWriter } from "./writer.js";

let ctx: Awaited<ReturnType<typeof sqliteContext>>;
let tmp: ReturnType<typeof tempDir>;
let archive: CountingArchive;
let archiver: LogArchiver;

beforeEach(async () => {
  ctx = await sqliteContext();
  tmp = tempDir("gantry-stream-");
  archive = new CountingArchive(new LocalLogArchive(`${tmp.dir}/archive`));
  archiver = new LogArchiver(ctx, archive, `${tmp.dir}/spool`);
});

afterEach(async () => {
  archiver.stop();
  await ctx.close();
  tmp.cleanup();
});

/** Counts the bytes read from objects, to show a reader did not read a whole big one. */
class CountingArchive implements LogArchiveLike {
  bytesRead = 0;
  opens = 0;

  constructor(private readonly inner: LogArchiveLike) {}

  put(key: string, body: string): Promise<void> {
    return this.inner.put(key, body);
  }

  putFile(key: string, file: string, bytes: number): Promise<void> {
    return this.inner.putFile(key, file, bytes);
  }

  get(key: string): Promise<string | undefined> {
    return this.inner.get(key);
  }

  async open(key: string, range?: ByteRange): Promise<Readable | undefined> {
    this.opens++;
    const stream = await this.inner.open(key, range);
    if (!stream) return undefined;
    const counter = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        this.bytesRead += chunk.length;
        done(null, chunk);
      },
    });
    stream.on("error", (error) => counter.destroy(error));
    counter.on("close", () => stream.destroy());
    return stream.pipe(counter);
  }

  delete(keys: string[]): Promise<void> {
    return this.inner.delete(keys);
  }
}

/** Writers for two steps printing at once, in small batches, so their chunks interleave. */
async function writeInterleaved(runId: string, lines: number): Promise<void> {
  const small = { maxBatchChars: 200, maxDelayMs: 5 };
  const a = new TaskLogWriter(ctx, taskKey(runId, "a"), small);
  const b = new TaskLogWriter(ctx, taskKey(runId, "b"), small);
  for (let i = 0; i < lines; i++) {
    a.line("stdout", `a${i}`);
    b.line("stderr", `b${i}`);
    if (i % 7 === 0) await Promise.all([a.close(), b.close()]);
  }
  await Promise.all([a.close(), b.close()]);
}

async function writeBig(runId: string, step: string, lines: number): Promise<void> {
  const writer = new TaskLogWriter(ctx, taskKey(runId, step));
  for (let i = 0; i < lines; i++) writer.line("stdout", `${step} line ${i} ${"x".repeat(40)}`);
  await writer.close();
}

async function collect(batches: AsyncGenerator<{ offset: number; text: string }[]>) {
  const out: { offset: number; text: string }[] = [];
  for await (const batch of batches) out.push(...batch);
  return out;
}

describe("streamed logs", () => {
  it("merges interleaved steps by offset, archived or live, with no gap or duplicate", async () => {
    const runId = await insertTestRun(ctx);
    await writeInterleaved(runId, 300);
    const live = await readLogLines(ctx.database.db, archive, runId);
    expect(live.map((l) => l.offset)).toEqual(Array.from({ length: 600 }, (_, i) => i));

    await archiver.archiveTask(taskKey(runId, "a"));
    expect(await readLogLines(ctx.database.db, archive, runId)).toEqual(live);
    await archiver.archiveTask(taskKey(runId, "b"));
    expect(await readLogLines(ctx.database.db, archive, runId)).toEqual(live);
    expect((await readLogLines(ctx.database.db, archive, runId, { step: "b" })).map((l) => l.text)).toEqual(
      Array.from({ length: 300 }, (_, i) => `b${i}`),
    );
    // A range: 10 lines after offset 99.
    const range = await readLogLines(ctx.database.db, archive, runId, { after: 99, limit: 10 });
    expect(range.map((l) => l.offset)).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
  });

  it("picks up a step archived while it is being read, from the archive", async () => {
    const runId = await insertTestRun(ctx);
    await writeBig(runId, "build", 20_000);
    const chunks = await readLogChunks(ctx.database.db, runId);
    expect(chunks.length).toBeGreaterThan(16);
    const batches = streamLogLines(ctx.database.db, archive, runId);
    const first = await batches.next();
    // The step ends and moves to the archive between two pages of its chunks.
    await archiver.archiveTask(taskKey(runId, "build"));
    expect(await readLogChunks(ctx.database.db, runId)).toEqual([]);
    const lines = [...(first.done ? [] : first.value), ...(await collect(batches))];
    expect(lines.map((l) => l.offset)).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
  });

  it("resumes and tails a big archived log without reading it whole", async () => {
    const runId = await insertTestRun(ctx);
    await writeBig(runId, "build", 40_000);
    await archiver.archiveTask(taskKey(runId, "build"));
    const [row] = await ctx.database.db.selectFrom("log_archives").selectAll().execute();
    const bytes = Number(row?.bytes);
    // Many times the tail window below (2.3 MB, the lines packed).
    expect(bytes).toBeGreaterThan(2 * 1024 * 1024);

    archive.bytesRead = 0;
    const resumed = await readLogLines(ctx.database.db, archive, runId, { after: 39_989 });
    expect(resumed.map((l) => l.text)).toEqual(
      Array.from({ length: 10 }, (_, i) => `build line ${39_990 + i} ${"x".repeat(40)}`),
    );
    // A binary search of range reads, then the last window: a small part of the object.
    expect(archive.bytesRead).toBeLessThan(bytes / 4);

    archive.bytesRead = 0;
    const tail = await tailLogLines(ctx.database.db, archive, runId, { lines: 3 });
    expect(tail.map((l) => l.offset)).toEqual([39_997, 39_998, 39_999]);
    expect(archive.bytesRead).toBeLessThanOrEqual(256 * 1024);

    const whole = await readLogLines(ctx.database.db, archive, runId);
    expect(whole).toHaveLength(40_000);
    expect(whole.at(-1)?.offset).toBe(39_999);
  });

  it("tails across archived and live steps", async () => {
    const runId = await insertTestRun(ctx);
    await writeInterleaved(runId, 50);
    await archiver.archiveTask(taskKey(runId, "a"));
    const all = await readLogLines(ctx.database.db, archive, runId);
    expect(await tailLogLines(ctx.database.db, archive, runId, { lines: 7 })).toEqual(all.slice(-7));
    expect(
      (await tailLogLines(ctx.database.db, archive, runId, { lines: 3, step: "a" })).map((l) => l.text),
    ).toEqual(["a47", "a48", "a49"]);
    expect(await tailLogLines(ctx.database.db, archive, runId, { lines: 1000 })).toEqual(all);
  });
});
