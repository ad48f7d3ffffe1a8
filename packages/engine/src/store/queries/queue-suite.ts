import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../database.js";
import { jobRow, runRow } from "../store-suite.js";
import { claimJobs } from "./claim-jobs.js";
import { getRun } from "./get-run.js";
import { insertRun } from "./insert-run.js";
import { insertRunWithJobs } from "./insert-run-with-jobs.js";
import { renewLeases } from "./renew-leases.js";
import { runJobs } from "./run-jobs.js";
import { takeJob } from "./take-job.js";

const NOW = 1_700_000_000_000;

/** The queries of the queue's fast path (what throughput depends on), on one backend. */
export function describeQueueQueries(name: string, open: () => Promise<Database>): void {
  describe(`queue queries on ${name}`, () => {
    let database: Database;
    beforeAll(async () => {
      database = await open();
    });
    afterAll(() => database.close());
    beforeEach(async () => {
      await database.db.deleteFrom("jobs").execute();
      await database.db.deleteFrom("runs").execute();
      await database.db.deleteFrom("step_attempts").execute();
    });

    it("claims up to the free slots in queue order, only jobs the worker's labels allow", async () => {
      await insertRun(database.db, runRow("run-1"));
      await database.db
        .insertInto("jobs")
        .values([
          jobRow("late", { available_at: NOW + 5 }),
          jobRow("gpu", { labels_json: '["gpu"]' }),
          jobRow("first", { priority: -1 }),
          jobRow("second"),
          jobRow("third"),
          jobRow("future", { available_at: NOW + 60_000 }),
        ])
        .execute();
      const worker = { id: "w1", labels: ["runner:local"] };
      const two = await claimJobs(database.db, database.dialect, worker, NOW + 10, NOW + 1000, 2);
      expect(two.map((j) => j.step)).toEqual(["first", "second"]);
      expect(
        two.every((j) => j.status === "running" && j.worker_id === "w1" && j.lease_until === NOW + 1000),
      ).toBe(true);
      // Fewer than asked: the queue has no more for this worker now.
      const rest = await claimJobs(database.db, database.dialect, worker, NOW + 10, NOW + 1000, 8);
      expect(rest.map((j) => j.step)).toEqual(["third", "late"]);
    });

    it("inserts a taken job as running under its worker's lease, and renews only the leases named", async () => {
      await insertRun(database.db, runRow("run-1"));
      const taken = await takeJob(database.db, jobRow("b"), "w1", NOW + 1000);
      expect(taken).toMatchObject({ step: "b", status: "running", worker_id: "w1", lease_until: NOW + 1000 });
      const other = await takeJob(database.db, jobRow("c"), "w1", NOW + 1000);
      await renewLeases(database.db, "w1", NOW + 5000, [taken.id]);
      const leases = Object.fromEntries(
        (await runJobs(database.db, "run-1")).map((j) => [j.step, Number(j.lease_until)]),
      );
      expect(leases).toEqual({ b: NOW + 5000, c: NOW + 1000 });
      expect(other.id).not.toBe(taken.id);
    });

    it("inserts a run with its first jobs at once, or without any", async () => {
      await insertRunWithJobs(
        database.db,
        database.dialect,
        runRow("run-1", { trigger_json: '{"type":"api"}' }),
        [jobRow("a"), jobRow("b")],
      );
      expect((await getRun(database.db, "run-1"))?.trigger_type).toBe("api");
      expect((await runJobs(database.db, "run-1")).map((j) => j.step).sort()).toEqual(["a", "b"]);
      await insertRunWithJobs(database.db, database.dialect, runRow("run-2"), []);
      expect(await getRun(database.db, "run-2")).toBeDefined();
      // Atomic: a job that cannot be inserted leaves no run behind.
      await expect(
        insertRunWithJobs(database.db, database.dialect, runRow("run-3"), [
          jobRow("a", { run_id: "run-3", step: null as unknown as string }),
        ]),
      ).rejects.toThrow();
      expect(await getRun(database.db, "run-3")).toBeUndefined();
    });

    it("inserts a run with its first task taken by a worker: leased, its attempt recorded, the rest queued", async () => {
      const attempt = {
        run_id: "run-1",
        step: "a",
        item_index: 0,
        attempt: 1,
        status: "running",
        exit_code: null,
        worker_id: "w1",
        error: null,
        started_at: NOW,
        finished_at: null,
      };
      const take = { job: jobRow("a"), attempt, workerId: "w1", leaseUntil: NOW + 1000 };
      for (const [runId, queued] of [
        ["run-1", [jobRow("b")]],
        ["run-2", []],
      ] as const) {
        const { taken } = await insertRunWithJobs(
          database.db,
          database.dialect,
          runRow(runId, { status: "running", started_at: NOW }),
          queued.map((job) => ({ ...job, run_id: runId })),
          [],
          { ...take, job: { ...take.job, run_id: runId }, attempt: { ...attempt, run_id: runId } },
        );
        expect(taken).toMatchObject({ run_id: runId, step: "a", status: "running", worker_id: "w1" });
        expect(Number(taken?.lease_until)).toBe(NOW + 1000);
        const jobs = (await runJobs(database.db, runId)).map((j) => [j.step, j.status, j.worker_id]);
        expect(jobs.sort()).toEqual([["a", "running", "w1"], ...queued.map((j) => [j.step, "queued", null])]);
        const attempts = await database.db
          .selectFrom("step_attempts")
          .select(["step", "status", "worker_id"])
          .where("run_id", "=", runId)
          .execute();
        expect(attempts).toEqual([{ step: "a", status: "running", worker_id: "w1" }]);
        expect((await getRun(database.db, runId))?.started_at).toBe(NOW);
      }
    });
  });
}
