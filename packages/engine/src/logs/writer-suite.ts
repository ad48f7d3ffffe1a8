import type { LogStream } from "@gantry/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertTestRun, type TestContext, taskKey } from "../testing/log-fixtures.js";
import { tempDir } from "../testing/temp-dir.js";
import { LocalLogArchive } from "./local-archive.js";
import { readLogLines } from "./reader.js";
import { TaskLogWriter } from "./writer.js";

/**
 * The log writer's and reader's SQL on one database (logs.test.ts runs it on SQLite,
 * writer-postgres.services.test.ts on PostgreSQL): batches queued behind a slow store, and two writers
 * on one run.
 */
export function describeLogWriter(label: string, open: () => Promise<TestContext>): void {
  describe(`TaskLogWriter on ${label}`, () => {
    let ctx: TestContext;
    let tmp: ReturnType<typeof tempDir>;

    beforeAll(async () => {
      ctx = await open();
      tmp = tempDir("gantry-writer-");
    });

    afterAll(async () => {
      await ctx?.close();
      tmp?.cleanup();
    });

    const linesOf = (runId: string) => readLogLines(ctx.database.db, new LocalLogArchive(tmp.dir), runId);
    const chunksOf = (runId: string) =>
      ctx.database.db
        .selectFrom("log_chunks")
        .select(["first_offset", "line_count"])
        .where("run_id", "=", runId)
        .orderBy("first_offset")
        .execute();

    /**
     * Writes 20 lines of 40 characters at once: they count 56 with their overhead, so every second line
     * fills a 64-character batch and flushes it. The first batch is being stored while the other nine
     * queue behind it, all in this one tick. Returns how many transactions announced lines.
     */
    async function burst(runId: string, texts: string[], maxTransactionChars?: number): Promise<number> {
      let announcements = 0;
      const unsubscribe = ctx.notifier.subscribe("logs", () => announcements++);
      const writer = new TaskLogWriter(ctx, taskKey(runId, "burst"), {
        maxBatchChars: 64,
        maxDelayMs: 60_000,
        ...(maxTransactionChars !== undefined ? { maxTransactionChars } : {}),
      });
      texts.forEach((text, i) => {
        writer.line(streamOf(i), text);
      });
      await writer.close();
      unsubscribe();
      return announcements;
    }
    const streamOf = (i: number): LogStream => (i % 3 ? "stdout" : "stderr");
    const twenty = Array.from({ length: 20 }, (_, i) =>
      `${i} \u001b[32mgrün\u001b[0m "q" \\ \t ✓`.padEnd(40, "-"),
    );
    const tenBatchesOfTwo = Array.from({ length: 10 }, (_, i) => [2 * i, 2]);

    it("stores queued batches in one transaction, each its own chunk, and reads every text back as printed", async () => {
      const runId = await insertTestRun(ctx);
      // One transaction (and one announcement) for the first batch, one for the nine queued behind it.
      expect(await burst(runId, twenty, 1024 * 1024)).toBe(2);
      const chunks = await chunksOf(runId);
      expect(chunks.map((c) => [Number(c.first_offset), c.line_count])).toEqual(tenBatchesOfTwo);
      const lines = await linesOf(runId);
      expect(lines.map((l) => l.text)).toEqual(twenty);
      expect(lines.map((l) => l.stream)).toEqual(twenty.map((_, i) => streamOf(i)));
    });

    it("groups queued batches by default on PostgreSQL only (SQLite's store is synchronous)", async () => {
      const runId = await insertTestRun(ctx);
      const transactions = await burst(runId, twenty);
      expect(transactions).toBe(ctx.database.dialect === "postgres" ? 2 : 10);
      const chunks = await chunksOf(runId);
      expect(chunks.map((c) => [Number(c.first_offset), c.line_count])).toEqual(tenBatchesOfTwo);
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
      const chunks = await chunksOf(runId);
      expect(chunks.length).toBeGreaterThan(10);
      let next = 0;
      for (const chunk of chunks) {
        expect(Number(chunk.first_offset)).toBe(next);
        next += chunk.line_count;
      }
      expect(next).toBe(1000);
      const run = await ctx.database.db
        .selectFrom("runs")
        .select("log_seq")
        .where("id", "=", runId)
        .executeTakeFirstOrThrow();
      expect(Number(run.log_seq)).toBe(1000);
      const lines = await linesOf(runId);
      expect(lines.map((l) => l.offset)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      for (const step of ["a", "b"]) {
        const mine = lines.filter((l) => l.step === step).map((l) => l.text);
        expect(mine).toEqual(Array.from({ length: 500 }, (_, i) => `${step}-${i}`));
      }
    });
  });
}
