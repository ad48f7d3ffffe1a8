import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LogArchiver } from "../logs/archiver.js";
import { LocalLogArchive } from "../logs/local-archive.js";
import { readLogLines } from "../logs/reader.js";
import { archiveKey, type LogArchiveLike } from "../logs/types.js";
import { TaskLogWriter } from "../logs/writer.js";
import { withScheduleTables } from "../store/queries/schedule-tables.js";
import { withTriggerTables } from "../store/queries/trigger-tables.js";
import { insertTestRun, sqliteContext, taskKey } from "../testing/log-fixtures.js";
import { tempDir } from "../testing/temp-dir.js";
import { applyRetention } from "./retention.js";

const DAY = 86_400_000;
const POLICY = { runsMs: 30 * DAY, logsMs: 7 * DAY };

type Context = Awaited<ReturnType<typeof sqliteContext>>;

let ctx: Context;
let tmp: ReturnType<typeof tempDir>;
let archive: LocalLogArchive;
let archiver: LogArchiver;

beforeEach(async () => {
  ctx = await sqliteContext();
  tmp = tempDir("gantry-retention-");
  archive = new LocalLogArchive(path.join(tmp.dir, "logs"));
  archiver = new LogArchiver(ctx, archive, path.join(tmp.dir, "spool"));
});

afterEach(async () => {
  archiver.stop();
  await ctx.close();
  tmp.cleanup();
});

/**
 * A run that finished `daysAgo` days ago (or, with `status: "running"` and friends, started then), with
 * one step attempt per step whose log is archived, and optionally a live chunk never archived.
 */
async function run(
  daysAgo: number,
  options: { status?: string; steps?: string[]; liveStep?: string; queuedJob?: boolean } = {},
): Promise<string> {
  const at = ctx.clock.ms - daysAgo * DAY;
  const status = options.status ?? "succeeded";
  const finished = ["succeeded", "failed", "cancelled", "timed_out", "skipped"].includes(status);
  const id = await insertTestRun(ctx, {
    status,
    created_at: at - 1000,
    started_at: at - 1000,
    finished_at: finished ? at : null,
  });
  for (const step of options.steps ?? ["build"]) {
    await ctx.database.db
      .insertInto("step_attempts")
      .values({
        ...taskKey(id, step),
        status: "succeeded",
        exit_code: 0,
        worker_id: "w",
        error: null,
        started_at: at,
        finished_at: at,
      })
      .execute();
    await log(id, step, [`${step} output 1`, `${step} output 2`]);
    await archiver.archiveTask(taskKey(id, step));
  }
  if (options.liveStep) await log(id, options.liveStep, [`${options.liveStep} never archived`]);
  if (options.queuedJob) {
    await ctx.database.db
      .insertInto("jobs")
      .values({
        run_id: id,
        step: "cleanup",
        item_index: 0,
        attempt: 1,
        status: "queued",
        priority: 0,
        available_at: at,
        labels_json: "[]",
        worker_id: null,
        lease_until: null,
        created_at: at,
      })
      .execute();
  }
  return id;
}

async function log(runId: string, step: string, texts: string[]): Promise<void> {
  const writer = new TaskLogWriter(ctx, taskKey(runId, step));
  for (const text of texts) writer.line("stdout", text);
  await writer.close();
}

/** What the store and the archive hold of a run. */
async function holdings(runId: string, steps = ["build"]) {
  const { db } = ctx.database;
  const count = async (table: "runs" | "jobs" | "step_attempts" | "log_chunks" | "log_archives") =>
    (
      await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where(table === "runs" ? "id" : "run_id", "=", runId)
        .executeTakeFirstOrThrow()
    ).n;
  const objects = await Promise.all(steps.map((s) => archive.get(archiveKey(runId, s, 0, 1))));
  return {
    runs: Number(await count("runs")),
    jobs: Number(await count("jobs")),
    step_attempts: Number(await count("step_attempts")),
    log_chunks: Number(await count("log_chunks")),
    log_archives: Number(await count("log_archives")),
    objects: objects.filter((o) => o !== undefined).length,
  };
}

describe("applyRetention", () => {
  it("deletes old finished runs with everything they own, and only the logs of younger ones", async () => {
    const old = await run(40, { steps: ["build", "test"], liveStep: "lost" });
    const oldFailed = await run(31, { status: "failed" });
    const logsExpired = await run(10, { status: "failed", steps: ["build", "test"], liveStep: "lost" });
    const recent = await run(1);
    const stillRunning = await run(60, { status: "running", liveStep: "live" });
    const pending = await run(60, { status: "pending", steps: [] });
    const cleaningUp = await run(45, { status: "cancelled", queuedJob: true });
    const logsExpiredBefore = await readLogLines(ctx.database.db, archive, logsExpired);
    expect(logsExpiredBefore).toHaveLength(5);

    // Deleted: old (build, test, lost) and oldFailed (build), then logsExpired's build, test and lost.
    expect(await applyRetention(ctx, archive, POLICY)).toEqual({ runs: 2, logs: 7, history: 0 });

    const gone = { runs: 0, jobs: 0, step_attempts: 0, log_chunks: 0, log_archives: 0, objects: 0 };
    expect(await holdings(old, ["build", "test"])).toEqual(gone);
    expect(await holdings(oldFailed)).toEqual(gone);
    expect(await holdings(logsExpired, ["build", "test"])).toEqual({ ...gone, runs: 1, step_attempts: 2 });
    expect(await readLogLines(ctx.database.db, archive, logsExpired)).toEqual([]);
    expect(await holdings(recent)).toEqual({
      ...gone,
      runs: 1,
      step_attempts: 1,
      log_archives: 1,
      objects: 1,
    });
    expect(await holdings(stillRunning)).toEqual({
      ...gone,
      runs: 1,
      step_attempts: 1,
      log_chunks: 1,
      log_archives: 1,
      objects: 1,
    });
    expect(await holdings(pending, [])).toEqual({ ...gone, runs: 1 });
    expect(await holdings(cleaningUp)).toEqual({
      ...gone,
      runs: 1,
      jobs: 1,
      step_attempts: 1,
      log_archives: 1,
      objects: 1,
    });
    expect((await readLogLines(ctx.database.db, archive, stillRunning)).map((l) => l.text)).toEqual([
      "build output 1",
      "build output 2",
      "live never archived",
    ]);

    // A second sweep finds nothing more.
    expect(await applyRetention(ctx, archive, POLICY)).toEqual({ runs: 0, logs: 0, history: 0 });
  });

  it("measures age on the injected clock, from when a run finished", async () => {
    // Created 50 days ago, finished 5 days ago: a long run is as young as its end.
    const id = await insertTestRun(ctx, {
      status: "succeeded",
      created_at: ctx.clock.ms - 50 * DAY,
      started_at: ctx.clock.ms - 50 * DAY,
      finished_at: ctx.clock.ms - 5 * DAY,
    });
    await log(id, "build", ["hello"]);
    await archiver.archiveTask(taskKey(id, "build"));
    expect(await applyRetention(ctx, archive, POLICY)).toEqual({ runs: 0, logs: 0, history: 0 });

    ctx.clock.ms += 3 * DAY;
    expect(await applyRetention(ctx, archive, POLICY)).toEqual({ runs: 0, logs: 1, history: 0 });
    expect((await holdings(id)).runs).toBe(1);
    expect((await holdings(id)).objects).toBe(0);

    ctx.clock.ms += 23 * DAY;
    expect(await applyRetention(ctx, archive, POLICY)).toEqual({ runs: 1, logs: 0, history: 0 });
    expect((await holdings(id)).runs).toBe(0);
  });

  it("keeps everything without a policy, and only logs or only runs with one of the two", async () => {
    const old = await run(100);
    expect(await applyRetention(ctx, archive, {})).toEqual({ runs: 0, logs: 0, history: 0 });
    expect((await holdings(old)).objects).toBe(1);
    expect(await applyRetention(ctx, archive, { logsMs: 7 * DAY })).toEqual({ runs: 0, logs: 1, history: 0 });
    expect(await holdings(old)).toMatchObject({ runs: 1, log_archives: 0, objects: 0 });
    const other = await run(100);
    expect(await applyRetention(ctx, archive, { runsMs: 30 * DAY })).toEqual({
      runs: 2,
      logs: 1,
      history: 0,
    });
    expect((await holdings(other)).runs).toBe(0);
  });

  it("deletes schedule fires and trigger events older than the runs' retention, keeping recent ones", async () => {
    const { db } = ctx.database;
    const at = (days: number) => ctx.clock.ms - days * DAY;
    const fire = (days: number) => ({
      schedule_id: "nightly:0",
      scheduled_at: at(days),
      kind: "cron",
      status: "fired",
      run_id: null,
      reason: null,
      recorded_at: at(days),
    });
    await withScheduleTables(db)
      .insertInto("schedule_fires")
      .values([fire(40), fire(2)])
      .execute();
    const event = (key: string, days: number) => ({
      trigger_id: "orders:rabbitmq:0",
      event_key: key,
      status: "started",
      run_id: null,
      error: null,
      received_at: at(days),
    });
    await withTriggerTables(db)
      .insertInto("trigger_events")
      .values([event("old", 35), event("new", 1)])
      .execute();
    expect(await applyRetention(ctx, archive, POLICY)).toEqual({ runs: 0, logs: 0, history: 2 });
    const fires = await withScheduleTables(db).selectFrom("schedule_fires").select("scheduled_at").execute();
    expect(fires).toEqual([{ scheduled_at: at(2) }]);
    const events = await withTriggerTables(db).selectFrom("trigger_events").select("event_key").execute();
    expect(events).toEqual([{ event_key: "new" }]);
  });

  it("keeps the rows when the archive cannot delete, and finishes the job on the next sweep", async () => {
    const old = await run(40);
    const failing: LogArchiveLike = {
      put: (key, body) => archive.put(key, body),
      putFile: (key, file, bytes) => archive.putFile(key, file, bytes),
      get: (key) => archive.get(key),
      open: (key, range) => archive.open(key, range),
      delete: async () => {
        throw new Error("archive unreachable");
      },
    };
    await expect(applyRetention(ctx, failing, POLICY)).rejects.toThrow("archive unreachable");
    expect(await holdings(old)).toMatchObject({ runs: 1, log_archives: 1, objects: 1 });
    expect(await applyRetention(ctx, archive, POLICY)).toEqual({ runs: 1, logs: 1, history: 0 });
    expect(await holdings(old)).toMatchObject({ runs: 0, log_archives: 0, objects: 0 });
  });

  it("deletes archived logs left behind by a run already deleted", async () => {
    const old = await run(40);
    // A worker's spool uploads the log after the run was deleted, recreating its row and object.
    const key = archiveKey(old, "late", 0, 1);
    await ctx.database.db.deleteFrom("runs").where("id", "=", old).execute();
    await ctx.database.db
      .updateTable("log_archives")
      .set({ step: "late", object_key: key })
      .where("run_id", "=", old)
      .execute();
    await archive.put(key, "{}\n");
    expect(await applyRetention(ctx, archive, POLICY)).toEqual({ runs: 0, logs: 1, history: 0 });
    expect(await archive.get(key)).toBeUndefined();
    expect(await holdings(old)).toMatchObject({ log_archives: 0 });
  });

  it("deletes more runs than fit in one batch", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 450; i++)
      ids.push(await insertTestRun(ctx, { status: "succeeded", finished_at: ctx.clock.ms - 40 * DAY }));
    const keep = await insertTestRun(ctx, { status: "succeeded", finished_at: ctx.clock.ms - DAY });
    expect(await applyRetention(ctx, archive, { runsMs: 30 * DAY })).toEqual({
      runs: 450,
      logs: 0,
      history: 0,
    });
    const left = await ctx.database.db.selectFrom("runs").select("id").execute();
    expect(left.map((r) => r.id)).toEqual([keep]);
  });
});
