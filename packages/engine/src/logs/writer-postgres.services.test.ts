import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertTestRun, postgresContext, taskKey } from "../testing/log-fixtures.js";
import { tempDir } from "../testing/temp-dir.js";
import { LocalLogArchive } from "./local-archive.js";
import { readLogLines } from "./reader.js";
import { TaskLogWriter } from "./writer.js";

// The writer's and reader's SQL on PostgreSQL (logs.test.ts runs the same on SQLite): batches queued
// behind a slow store go in one transaction, and two writers on one run take disjoint offsets.
let ctx: Awaited<ReturnType<typeof postgresContext>>;
let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  ctx = await postgresContext();
  tmp = tempDir("gantry-pg-logs-");
});

afterAll(async () => {
  await ctx?.close();
  tmp?.cleanup();
});

const linesOf = (runId: string) => readLogLines(ctx.database.db, new LocalLogArchive(tmp.dir), runId);

describe("TaskLogWriter on PostgreSQL", () => {
  it("stores queued batches together, each its own chunk, and reads every text back as printed", async () => {
    const runId = await insertTestRun(ctx);
    let announcements = 0;
    const unsubscribe = ctx.notifier.subscribe("logs", () => announcements++);
    const writer = new TaskLogWriter(ctx, taskKey(runId, "burst"), { maxBatchChars: 64, maxDelayMs: 60_000 });
    const texts = Array.from({ length: 20 }, (_, i) =>
      `${i} \u001b[32mgrün\u001b[0m "q" \\ \t ✓`.padEnd(40, "-"),
    );
    texts.forEach((text, i) => {
      writer.line(i % 3 ? "stdout" : "stderr", text);
    });
    await writer.close();
    unsubscribe();
    const chunks = await ctx.database.db
      .selectFrom("log_chunks")
      .select(["first_offset", "line_count"])
      .where("run_id", "=", runId)
      .orderBy("first_offset")
      .execute();
    expect(chunks.map((c) => [Number(c.first_offset), c.line_count])).toEqual(
      Array.from({ length: 10 }, (_, i) => [2 * i, 2]),
    );
    expect(announcements).toBe(2);
    const lines = await linesOf(runId);
    expect(lines.map((l) => l.text)).toEqual(texts);
    expect(lines.map((l) => l.stream)).toEqual(texts.map((_, i) => (i % 3 ? "stdout" : "stderr")));
  });

  it("gives two writers on one run disjoint, increasing offsets with no gaps", async () => {
    const runId = await insertTestRun(ctx);
    const a = new TaskLogWriter(ctx, taskKey(runId, "a"), { maxBatchChars: 200, maxDelayMs: 5 });
    const b = new TaskLogWriter(ctx, taskKey(runId, "b"), { maxBatchChars: 300, maxDelayMs: 5 });
    for (let i = 0; i < 500; i++) {
      a.line("stdout", `a-${i}`);
      b.line("stderr", `b-${i}`);
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all([a.close(), b.close()]);
    const lines = await linesOf(runId);
    expect(lines.map((l) => l.offset)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    for (const step of ["a", "b"]) {
      const mine = lines.filter((l) => l.step === step).map((l) => l.text);
      expect(mine).toEqual(Array.from({ length: 500 }, (_, i) => `${step}-${i}`));
    }
    const run = await ctx.database.db
      .selectFrom("runs")
      .select("log_seq")
      .where("id", "=", runId)
      .executeTakeFirstOrThrow();
    expect(Number(run.log_seq)).toBe(1000);
  });
});
