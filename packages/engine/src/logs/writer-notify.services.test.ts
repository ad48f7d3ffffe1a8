import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgNotifier } from "../queue/pg-notifier.js";
import { appendLogChunksNotifying } from "../store/queries/log-chunks.js";
import { insertTestRun, postgresContext, type TestContext, taskKey } from "../testing/log-fixtures.js";
import { tempDir } from "../testing/temp-dir.js";
import { LocalLogArchive } from "./local-archive.js";
import { readLogLines } from "./reader.js";
import { TaskLogWriter } from "./writer.js";

/**
 * The writer on PostgreSQL with the notifier of a deployment (LISTEN/NOTIFY): each store is one
 * statement that numbers the chunks from the run's counter and announces them as it commits.
 */
describe("TaskLogWriter on PostgreSQL with LISTEN/NOTIFY", () => {
  let base: TestContext;
  let ctx: TestContext;
  let notifier: PgNotifier;
  let tmp: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    base = await postgresContext();
    const { url, pool } = base.database;
    if (!url || !pool) throw new Error("a PostgreSQL database has a url and a pool");
    notifier = await PgNotifier.start(url, pool);
    ctx = { ...base, notifier };
    tmp = tempDir("gantry-writer-notify-");
  });

  afterAll(async () => {
    await notifier?.close();
    await base?.close();
    tmp?.cleanup();
  });

  /** Resolves once a "logs" notification names `runId`. */
  const announced = (runId: string) =>
    new Promise<void>((resolve) => {
      const off = notifier.subscribe("logs", (payload) => {
        if (payload !== runId) return;
        off();
        resolve();
      });
    });

  it("stores each batch as its own chunk, numbered in order from the run's counter, and announces it", async () => {
    const runId = await insertTestRun(ctx);
    const heard = announced(runId);
    const writer = new TaskLogWriter(ctx, taskKey(runId, "a"), { maxBatchChars: 64, maxDelayMs: 60_000 });
    const texts = Array.from({ length: 20 }, (_, i) => `line ${i}`.padEnd(40, "."));
    for (const text of texts) writer.line("stdout", text);
    await writer.close();
    await heard;
    const chunks = await ctx.database.db
      .selectFrom("log_chunks")
      .select(["first_offset", "line_count"])
      .where("run_id", "=", runId)
      .orderBy("first_offset")
      .execute();
    expect(chunks.map((c) => [Number(c.first_offset), c.line_count])).toEqual(
      Array.from({ length: 10 }, (_, i) => [2 * i, 2]),
    );
    const lines = await readLogLines(ctx.database.db, new LocalLogArchive(tmp.dir), runId);
    expect(lines.map((l) => [l.offset, l.text])).toEqual(texts.map((t, i) => [i, t]));
    // From within a chunk, from before the first and past the last.
    const archive = new LocalLogArchive(tmp.dir);
    const after = async (n: number) =>
      (await readLogLines(ctx.database.db, archive, runId, { after: n })).map((l) => l.offset);
    expect(await after(4)).toEqual(Array.from({ length: 15 }, (_, i) => i + 5));
    expect(await after(5)).toEqual(Array.from({ length: 14 }, (_, i) => i + 6));
    expect(await after(-1)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(await after(19)).toEqual([]);
    const run = await ctx.database.db
      .selectFrom("runs")
      .select("log_seq")
      .where("id", "=", runId)
      .executeTakeFirstOrThrow();
    expect(Number(run.log_seq)).toBe(20);
  });

  it("refuses chunks of a run that does not exist, and stores nothing", async () => {
    const chunk = { ...taskKey("no-such-run", "a"), line_count: 1, lines_json: "[]", created_at: 1 };
    await expect(
      appendLogChunksNotifying(ctx.database.db, [chunk], notifier.databaseChannel("logs")),
    ).rejects.toThrow("run no-such-run does not exist");
    const rows = await ctx.database.db
      .selectFrom("log_chunks")
      .select("run_id")
      .where("run_id", "=", "no-such-run")
      .execute();
    expect(rows).toEqual([]);
  });
});
