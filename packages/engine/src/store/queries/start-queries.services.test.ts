import { sql, type Transaction } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresDatabase } from "../../testing/databases.js";
import { waitFor } from "../../testing/wait-for.js";
import type { Database } from "../database.js";
import type { Tables } from "../tables.js";
import { CLAIM_READS_STEPS, claimJobsWithRuns } from "./claim-jobs-with-runs.js";
import { lockRunForStep } from "./lock-run-for-step.js";
import { type GuardedWrite, writeIfUnchanged } from "./write-if-unchanged.js";

// The statements of a step's start and finish that replace a locked read on PostgreSQL.
describe("start and finish queries on PostgreSQL", () => {
  let database: Database;
  beforeAll(async () => {
    database = await postgresDatabase();
  });
  afterAll(() => database?.close());

  const header = (rev: number) => `{"status":"running","outputs":{},"rev":${rev}}`;
  async function runWithJob(id: string) {
    const db = database.db;
    await db
      .insertInto("runs")
      .values({
        id,
        workflow: "w",
        revision: "r1",
        status: "queued",
        trigger_json: '{"type":"manual"}',
        inputs_json: "{}",
        secret_inputs: null,
        info_json: "{}",
        state_json: header(1),
        outputs_json: null,
        error: null,
        attempt: 1,
        parent_run_id: null,
        concurrency_group: null,
        cancel_requested: 0,
        created_at: 1,
        started_at: null,
        finished_at: null,
      })
      .execute();
    await db
      .insertInto("run_steps")
      .values([
        { run_id: id, step: "b", position: 1, state_json: '{"b":1}' },
        { run_id: id, step: "a", position: 0, state_json: '{"a":1}' },
      ])
      .execute();
    return db
      .insertInto("jobs")
      .values({
        run_id: id,
        step: "a",
        item_index: 0,
        attempt: 1,
        status: "queued",
        priority: 0,
        available_at: 1,
        labels_json: '["runner:local"]',
        worker_id: null,
        lease_until: null,
        created_at: 1,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
  }
  /** A transaction that takes a run's lock with `lock`, and on `release()` writes with `write` and commits. */
  function lockHolder<T>(
    lock: (tx: Transaction<Tables>) => Promise<T>,
    write: (tx: Transaction<Tables>) => Promise<unknown>,
  ) {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const done = database.db.transaction().execute(async (tx) => {
      const result = await lock(tx);
      locked();
      await held;
      await write(tx);
      return result;
    });
    return { lockTaken, release, done };
  }
  const aStatementWaitsForALock = (what: string) =>
    waitFor(
      async () => {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`.execute(database.db);
        return (rows[0]?.n ?? 0) > 0;
      },
      { what },
    );
  const attempt = (runId: string) => ({
    run_id: runId,
    step: "a",
    item_index: 0,
    attempt: 1,
    status: "running",
    exit_code: null,
    worker_id: "w1",
    error: null,
    started_at: 5,
    finished_at: null,
  });

  it("claims a job with its run's row and step rows, in position order", async () => {
    const job = await runWithJob("run-claim");
    const claimed = await claimJobsWithRuns(database.db, { id: "w1", labels: ["runner:local"] }, 10, 99, 8);
    expect(
      claimed.map((c) => [c.job.id, c.job.worker_id, c.job.lease_until, c.run?.id, c.run?.state_json]),
    ).toEqual([[job.id, "w1", 99, "run-claim", header(1)]]);
    expect(claimed[0]?.steps).toEqual([
      { step: "a", position: 0, state_json: '{"a":1}' },
      { step: "b", position: 1, state_json: '{"b":1}' },
    ]);
  });

  it("leaves out the run of a job whose run has more steps than a claim reads", async () => {
    await runWithJob("run-wide");
    const more = Array.from({ length: CLAIM_READS_STEPS - 1 }, (_, i) => ({
      run_id: "run-wide",
      step: `s${i}`,
      position: i + 2,
      state_json: "{}",
    }));
    await database.db.insertInto("run_steps").values(more).execute();
    const [claimed] = await claimJobsWithRuns(database.db, { id: "w1", labels: ["runner:local"] }, 10, 99, 8);
    expect([claimed?.job.run_id, claimed?.run]).toEqual(["run-wide", undefined]);
  });

  it("writes a start only while the run's header is the one it was planned from", async () => {
    await runWithJob("run-guard");
    const start = (expectHeader: string) =>
      writeIfUnchanged(database.db, {
        runId: "run-guard",
        expectHeader,
        run: { state_json: header(3), status: "running", started_at: 5 },
        steps: [{ step: "a", position: 0, state_json: '{"a":2}' }],
        attempts: [attempt("run-guard")],
      }).then((result) => result.written);
    // Another process wrote the run after the claim read it: nothing of the start lands.
    await database.db
      .updateTable("runs")
      .set({ state_json: header(2) })
      .where("id", "=", "run-guard")
      .execute();
    expect(await start(header(1))).toBe(false);
    const steps = () =>
      database.db
        .selectFrom("run_steps")
        .select(["step", "state_json"])
        .where("run_id", "=", "run-guard")
        .orderBy("position")
        .execute();
    const attempts = () =>
      database.db.selectFrom("step_attempts").selectAll().where("run_id", "=", "run-guard").execute();
    expect(await steps()).toEqual([
      { step: "a", state_json: '{"a":1}' },
      { step: "b", state_json: '{"b":1}' },
    ]);
    expect(await attempts()).toEqual([]);
    expect(await start(header(2))).toBe(true);
    expect(await steps()).toEqual([
      { step: "a", state_json: '{"a":2}' },
      { step: "b", state_json: '{"b":1}' },
    ]);
    expect((await attempts()).map((a) => [a.step, a.status, a.worker_id])).toEqual([["a", "running", "w1"]]);
    const run = await database.db
      .selectFrom("runs")
      .select(["state_json", "status", "started_at"])
      .where("id", "=", "run-guard")
      .executeTakeFirst();
    expect(run).toEqual({ state_json: header(3), status: "running", started_at: 5 });
  });

  it("locks a run, reads its steps and deletes a job only when its fence holds", async () => {
    const job = await runWithJob("run-lock");
    await database.db
      .updateTable("jobs")
      .set({ status: "running", worker_id: "w1", lease_until: 50 })
      .where("id", "=", job.id)
      .execute();
    const locked = (fence: { workerId?: string; expiredBefore?: number }) =>
      database.db
        .transaction()
        .execute((tx) =>
          lockRunForStep(tx, "postgres", "run-lock", { steps: true, deleteJob: { id: job.id, fence } }),
        );
    const other = await locked({ workerId: "w2" });
    expect([other.run?.id, other.jobDeleted, other.steps?.map((s) => s.step)]).toEqual([
      "run-lock",
      false,
      ["a", "b"],
    ]);
    // The reaper's fence: a lease renewed past its time keeps the job.
    expect((await locked({ expiredBefore: 40 })).jobDeleted).toBe(false);
    const mine = await locked({ workerId: "w1", expiredBefore: 60 });
    expect([mine.jobDeleted, mine.run?.state_json]).toEqual([true, header(1)]);
    expect(await database.db.selectFrom("jobs").select("id").where("id", "=", job.id).execute()).toEqual([]);
    const gone = await database.db
      .transaction()
      .execute((tx) => lockRunForStep(tx, "postgres", "no-such-run", { steps: true }));
    expect(gone).toEqual({ run: undefined, jobDeleted: false });
  });

  it("reads the steps as the lock's last holder left them, not as they were when it began to wait", async () => {
    await runWithJob("run-wait");
    // A finish of another step holds the run's lock and writes its step's row.
    const holder = lockHolder(
      (tx) => lockRunForStep(tx, "postgres", "run-wait", { steps: false }),
      (tx) =>
        tx
          .updateTable("run_steps")
          .set({ state_json: '{"b":2}' })
          .where("run_id", "=", "run-wait")
          .where("step", "=", "b")
          .execute(),
    );
    await holder.lockTaken;
    // This one waits for the lock, then must see b's new row: a fan-in's join is queued by what it reads.
    const waiter = database.db
      .transaction()
      .execute((tx) => lockRunForStep(tx, "postgres", "run-wait", { steps: true }));
    await aStatementWaitsForALock("the second lock to wait");
    holder.release();
    await holder.done;
    const { steps } = await waiter;
    expect(steps?.map((row) => row.state_json)).toEqual(['{"a":1}', '{"b":2}']);
  });

  /** Job a of a run, running on worker w1, and a guarded finish of it that queues b and takes c. */
  async function runningJob(runId: string) {
    const job = await runWithJob(runId);
    await database.db
      .updateTable("jobs")
      .set({ status: "running", worker_id: "w1", lease_until: 50 })
      .where("id", "=", job.id)
      .execute();
    await database.db.insertInto("step_attempts").values(attempt(runId)).execute();
    const queued = (step: string) => ({
      run_id: runId,
      step,
      item_index: 0,
      attempt: 1,
      status: "queued",
      priority: 0,
      available_at: 7,
      labels_json: '["runner:local"]',
      worker_id: null,
      lease_until: null,
      created_at: 7,
    });
    const finish = (
      expectHeader: string,
      workerId = "w1",
    ): Promise<Awaited<ReturnType<typeof writeIfUnchanged>>> => {
      const writes: GuardedWrite = {
        runId,
        expectHeader,
        expectMasks: null,
        job: { id: job.id, workerId },
        run: { state_json: header(9), status: "running" },
        steps: [{ step: "a", position: 0, state_json: '{"a":"done"}' }],
        attempts: [{ ...attempt(runId), status: "succeeded", exit_code: 0, finished_at: 7 }],
        enqueue: [queued("b")],
        take: { job: queued("c"), workerId: "w1", leaseUntil: 90 },
        wake: { channel: "gantry_test_jobs", payload: "" },
      };
      return writeIfUnchanged(database.db, writes);
    };
    const seen = async () => ({
      run: await database.db
        .selectFrom("runs")
        .select("state_json")
        .where("id", "=", runId)
        .executeTakeFirst(),
      steps: await database.db
        .selectFrom("run_steps")
        .select("state_json")
        .where("run_id", "=", runId)
        .orderBy("position")
        .execute(),
      jobs: await database.db
        .selectFrom("jobs")
        .select(["step", "status", "worker_id"])
        .where("run_id", "=", runId)
        .orderBy("step")
        .execute(),
      attempts: await database.db
        .selectFrom("step_attempts")
        .select(["step", "status", "worker_id"])
        .where("run_id", "=", runId)
        .orderBy("step")
        .execute(),
    });
    return { job, finish, seen };
  }

  it("writes a finish only while the run's header is unchanged and the job is still the worker's", async () => {
    const { finish, seen } = await runningJob("run-finish");
    const listener = new pg.Client({ connectionString: database.url });
    const woken: string[] = [];
    listener.on("notification", (message) => woken.push(message.channel));
    await listener.connect();
    try {
      await listener.query("listen gantry_test_jobs");
      const before = await seen();
      expect(before.jobs).toEqual([{ step: "a", status: "running", worker_id: "w1" }]);
      // Another process wrote the run since this worker did, or the job is another worker's: nothing lands.
      await database.db
        .updateTable("runs")
        .set({ state_json: header(2) })
        .where("id", "=", "run-finish")
        .execute();
      expect(await finish(header(1))).toEqual({ written: false });
      expect(await finish(header(2), "w2")).toEqual({ written: false });
      expect(await seen()).toEqual({ ...before, run: { state_json: header(2) } });
      // A running step registered an ::add-mask:: value (the header stays): the finish must mask with it.
      const masks = () => database.db.updateTable("runs").where("id", "=", "run-finish");
      await masks().set({ masked_values: "sealed" }).execute();
      expect(await finish(header(2))).toEqual({ written: false });
      await masks().set({ masked_values: null }).execute();
      const written = await finish(header(2));
      expect([
        written.written,
        written.taken?.step,
        written.taken?.worker_id,
        written.taken?.lease_until,
      ]).toEqual([true, "c", "w1", 90]);
      expect(await seen()).toEqual({
        run: { state_json: header(9) },
        steps: [{ state_json: '{"a":"done"}' }, { state_json: '{"b":1}' }],
        jobs: [
          { step: "b", status: "queued", worker_id: null },
          { step: "c", status: "running", worker_id: "w1" },
        ],
        attempts: [{ step: "a", status: "succeeded", worker_id: "w1" }],
      });
      await waitFor(() => woken.length > 0, { what: "the wake-up sent with the finish" });
      // Repeated (its answer lost): the header moved on, so it changes nothing.
      expect(await finish(header(2))).toEqual({ written: false });
      expect(woken).toEqual(["gantry_test_jobs"]);
    } finally {
      await listener.end();
    }
  });

  it("writes nothing when the run's lock holder changes the run while the finish waits for it", async () => {
    const { job, finish, seen } = await runningJob("run-finish-wait");
    // The reaper takes the job from a worker it thinks lost: it deletes the job and writes the run.
    const reaper = lockHolder(
      (tx) =>
        lockRunForStep(tx, "postgres", "run-finish-wait", {
          steps: false,
          deleteJob: { id: job.id, fence: {} },
        }),
      (tx) =>
        tx
          .updateTable("runs")
          .set({ state_json: header(2) })
          .where("id", "=", "run-finish-wait")
          .execute(),
    );
    await reaper.lockTaken;
    const finishing = finish(header(1));
    await aStatementWaitsForALock("the finish to wait for the run's lock");
    reaper.release();
    expect((await reaper.done).jobDeleted).toBe(true);
    expect(await finishing).toEqual({ written: false });
    const after = await seen();
    expect([after.run, after.jobs, after.attempts.map((a) => a.status)]).toEqual([
      { state_json: header(2) },
      [],
      ["running"],
    ]);
  });
});
