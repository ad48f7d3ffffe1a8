import type { Insertable } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Database, migrate } from "./database.js";
import { type AgentLogLine, appendAgentLog, deleteAgentLogMarks } from "./queries/agent-log.js";
import { getBundle, putBundle } from "./queries/bundles.js";
import { claimJob } from "./queries/claim-job.js";
import { deleteJob } from "./queries/delete-job.js";
import { enqueueJobs } from "./queries/enqueue-jobs.js";
import { expiredJobs } from "./queries/expired-jobs.js";
import { getRun } from "./queries/get-run.js";
import { getWorkflow } from "./queries/get-workflow.js";
import { insertRun } from "./queries/insert-run.js";
import { insertRunWithJobs } from "./queries/insert-run-with-jobs.js";
import { listRuns, type RunSummaryRow } from "./queries/list-runs.js";
import { listWorkflows } from "./queries/list-workflows.js";
import { taskLogChunks } from "./queries/log-chunks.js";
import { queueDepth, runCountsByStatus } from "./queries/metrics.js";
import { recordAttempt } from "./queries/record-attempt.js";
import { renewLeases } from "./queries/renew-leases.js";
import { runJobs } from "./queries/run-jobs.js";
import { updateRun } from "./queries/update-run.js";
import { upsertWorker } from "./queries/upsert-worker.js";
import { upsertWorkflow } from "./queries/upsert-workflow.js";
import { writeStep } from "./queries/write-step.js";
import type { JobsTable, RunsTable, WorkflowsTable } from "./tables.js";

const NOW = 1_700_000_000_000;

export function workflowRow(name: string, revision = "rev-1"): Insertable<WorkflowsTable> {
  return {
    name,
    source: "dir:/tmp/wf",
    file: `${name}.yaml`,
    revision,
    definition_json: JSON.stringify({ name }),
    input_schema_json: "{}",
    description: `the ${name} workflow`,
    updated_at: NOW,
  };
}

export function runRow(id: string, fields: Partial<Insertable<RunsTable>> = {}): Insertable<RunsTable> {
  return {
    id,
    workflow: "build",
    revision: "rev-1",
    status: "queued",
    trigger_json: JSON.stringify({ type: "manual" }),
    inputs_json: "{}",
    secret_inputs: null,
    info_json: "{}",
    state_json: "null",
    outputs_json: null,
    error: null,
    attempt: 1,
    parent_run_id: null,
    concurrency_group: null,
    cancel_requested: 0,
    created_at: NOW,
    started_at: null,
    finished_at: null,
    ...fields,
  };
}

export function jobRow(step: string, fields: Partial<Insertable<JobsTable>> = {}): Insertable<JobsTable> {
  return {
    run_id: "run-1",
    step,
    item_index: 0,
    attempt: 1,
    status: "queued",
    priority: 0,
    available_at: NOW,
    labels_json: "[]",
    worker_id: null,
    lease_until: null,
    created_at: NOW,
    ...fields,
  };
}

/** Every page of a listing, following the keyset cursor the way the API does. */
async function allPages(
  database: Database,
  filter: { workflow?: string; status?: string },
  limit: number,
): Promise<RunSummaryRow[][]> {
  const pages: RunSummaryRow[][] = [];
  let before: { createdAt: number; id: string } | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await listRuns(database.db, { ...filter, limit, ...(before ? { before } : {}) });
    if (page.length === 0) break;
    pages.push(page);
    const last = page[page.length - 1]!;
    before = { createdAt: last.created_at, id: last.id };
  }
  return pages;
}

/**
 * The store's contract, run against each adapter: `store.test.ts` (SQLite) and `store.services.test.ts`
 * (PostgreSQL). `open` returns a migrated, empty database of the suite's own.
 */
export function describeStore(name: string, open: () => Promise<Database>): void {
  describe(`store on ${name}`, () => {
    let database: Database;

    beforeAll(async () => {
      database = await open();
    });
    afterAll(async () => {
      await database?.close();
    });
    beforeEach(async () => {
      for (const table of ["jobs", "runs", "step_attempts", "workflows", "workers", "bundles"] as const)
        await database.db.deleteFrom(table).execute();
    });

    const claim = (labels: string[], now = NOW, id = "w1", leaseMs = 30_000) =>
      claimJob(database.db, database.dialect, { id, labels }, now, now + leaseMs);

    it("queues 10,000 jobs at once: a run's first jobs and a step's end (beyond each engine's parameter limit)", async () => {
      const wide = (prefix: string, runId: string) =>
        Array.from({ length: 10_000 }, (_, i) => jobRow(`${prefix}${i}`, { run_id: runId }));
      await upsertWorkflow(database.db, workflowRow("build"));
      await insertRunWithJobs(database.db, database.dialect, runRow("wide-1"), wide("s", "wide-1"));
      expect(await queueDepth(database.db)).toBe(10_000);
      await database.db.transaction().execute((tx) =>
        writeStep(tx, database.dialect, {
          runId: "wide-1",
          run: { status: "running" },
          attempts: [],
          enqueue: wide("t", "wide-1"),
        }),
      );
      expect(await queueDepth(database.db)).toBe(20_000);
      const steps = await database.db.selectFrom("jobs").select("step").where("step", "=", "t9999").execute();
      expect(steps).toEqual([{ step: "t9999" }]);
    });

    it("migrates idempotently: running the migrations again changes nothing", async () => {
      const applied = () =>
        database.db
          .selectFrom("kysely_migration" as never)
          .select("name" as never)
          .orderBy("name" as never)
          .execute() as Promise<Array<{ name: string }>>;
      const before = await applied();
      expect(before[0]).toEqual({ name: "0001-initial" });
      await upsertWorkflow(database.db, workflowRow("kept"));
      await migrate(database);
      await migrate(database);
      expect(await applied()).toEqual(before);
      expect((await listWorkflows(database.db)).map((w) => w.name)).toEqual(["kept"]);
    });

    it("upserts, lists and gets workflows", async () => {
      await upsertWorkflow(database.db, workflowRow("release"));
      await upsertWorkflow(database.db, workflowRow("build"));
      expect((await listWorkflows(database.db)).map((w) => w.name)).toEqual(["build", "release"]);

      await upsertWorkflow(database.db, { ...workflowRow("build", "rev-2"), description: null });
      const build = await getWorkflow(database.db, "build");
      expect(build).toMatchObject({ name: "build", revision: "rev-2", description: null, updated_at: NOW });
      expect(typeof build?.updated_at).toBe("number");
      expect(await listWorkflows(database.db)).toHaveLength(2);
      expect(await getWorkflow(database.db, "nope")).toBeUndefined();
    });

    it("inserts and gets runs, with times as numbers", async () => {
      await insertRun(database.db, runRow("r1", { started_at: NOW + 5, secret_inputs: "v1.x.y.z" }));
      const row = await getRun(database.db, "r1");
      expect(row).toMatchObject({ ...runRow("r1", { started_at: NOW + 5, secret_inputs: "v1.x.y.z" }) });
      expect(typeof row?.created_at).toBe("number");
      await updateRun(database.db, "r1", { status: "succeeded", finished_at: NOW + 10 });
      expect(await getRun(database.db, "r1")).toMatchObject({ status: "succeeded", finished_at: NOW + 10 });
      expect(await getRun(database.db, "missing")).toBeUndefined();
    });

    it("lists runs newest first in keyset pages, ties broken by id, filtered by workflow and status", async () => {
      // Three runs share a created_at: the cursor must not skip or repeat one of them across a page edge.
      const runs = [
        runRow("a", { created_at: NOW + 1, workflow: "build", status: "succeeded" }),
        runRow("b", { created_at: NOW + 2, workflow: "deploy", status: "failed" }),
        runRow("c", { created_at: NOW + 2, workflow: "build", status: "failed" }),
        runRow("d", { created_at: NOW + 2, workflow: "build", status: "succeeded" }),
        runRow("e", { created_at: NOW + 3, workflow: "deploy", status: "running" }),
        runRow("f", { created_at: NOW + 4, workflow: "build", status: "queued" }),
        runRow("g", { created_at: NOW + 0, workflow: "build", status: "failed" }),
      ];
      for (const run of runs) await insertRun(database.db, run);

      const pages = await allPages(database, {}, 2);
      expect(pages.map((p) => p.map((r) => r.id))).toEqual([["f", "e"], ["d", "c"], ["b", "a"], ["g"]]);
      expect(Object.keys(pages[0]![0]!).sort()).toEqual(
        ["created_at", "finished_at", "id", "started_at", "status", "trigger_json", "workflow"].sort(),
      );

      const builds = (await allPages(database, { workflow: "build" }, 3)).flat().map((r) => r.id);
      expect(builds).toEqual(["f", "d", "c", "a", "g"]);
      const failed = (await allPages(database, { status: "failed" }, 1)).flat().map((r) => r.id);
      expect(failed).toEqual(["c", "b", "g"]);
      const failedBuilds = (await allPages(database, { workflow: "build", status: "failed" }, 10)).flat();
      expect(failedBuilds.map((r) => r.id)).toEqual(["c", "g"]);
      expect(await listRuns(database.db, { workflow: "nope", limit: 10 })).toEqual([]);
    });

    it("claims by priority, then by available_at, and never a job that is not available yet", async () => {
      await enqueueJobs(database.db, [
        jobRow("low-priority", { priority: 1, available_at: NOW - 1000 }),
        jobRow("newer", { priority: 0, available_at: NOW - 100 }),
        jobRow("older", { priority: 0, available_at: NOW - 200 }),
        jobRow("later", { priority: 0, available_at: NOW + 60_000 }),
      ]);
      const order: string[] = [];
      for (let job = await claim([]); job; job = await claim([])) order.push(job.step);
      expect(order).toEqual(["older", "newer", "low-priority"]);
      expect(await queueDepth(database.db)).toBe(1);

      const later = await claim([], NOW + 60_000, "w2", 5000);
      expect(later).toMatchObject({
        step: "later",
        status: "running",
        worker_id: "w2",
        lease_until: NOW + 65_000,
      });
      expect(await claim([], NOW + 60_000)).toBeUndefined();
    });

    it("claims a labelled job only for a worker that has every label", async () => {
      await enqueueJobs(database.db, [jobRow("train", { labels_json: JSON.stringify(["gpu"]) })]);
      expect(await claim([])).toBeUndefined();
      expect(await claim(["linux"])).toBeUndefined();
      expect(await claim(["linux", "gpu"], NOW, "gpu-box")).toMatchObject({
        step: "train",
        worker_id: "gpu-box",
      });

      await enqueueJobs(database.db, [
        jobRow("two", { labels_json: JSON.stringify(["gpu", "linux"]) }),
        jobRow("any"),
      ]);
      // A worker with labels still takes jobs that ask for none.
      expect((await claim(["gpu"]))?.step).toBe("any");
      expect(await claim(["gpu"])).toBeUndefined();
      expect((await claim(["linux", "gpu", "big"]))?.step).toBe("two");
    });

    it("hands each job to one claimer when many claim at once", async () => {
      await enqueueJobs(
        database.db,
        Array.from({ length: 20 }, (_, i) => jobRow(`s${i}`)),
      );
      const claims = await Promise.all(Array.from({ length: 30 }, (_, i) => claim([], NOW, `w${i}`)));
      const ids = claims.flatMap((j) => (j ? [j.id] : []));
      expect(ids).toHaveLength(20);
      expect(new Set(ids).size).toBe(20);
      expect(await queueDepth(database.db)).toBe(0);
    });

    it("renews the leases of one worker's running jobs only", async () => {
      await enqueueJobs(database.db, [jobRow("a"), jobRow("b"), jobRow("c"), jobRow("queued")]);
      await claim([], NOW, "w1", 1000);
      await claim([], NOW, "w1", 1000);
      await claim([], NOW, "w2", 1000);
      await renewLeases(database.db, "w1", NOW + 50_000);
      const jobs = await runJobs(database.db, "run-1");
      const lease = Object.fromEntries(jobs.map((j) => [j.step, [j.worker_id, j.lease_until]]));
      expect(lease).toEqual({
        a: ["w1", NOW + 50_000],
        b: ["w1", NOW + 50_000],
        c: ["w2", NOW + 1000],
        queued: [null, null],
      });
    });

    it("finds running jobs whose lease ran out, oldest lease first", async () => {
      await enqueueJobs(database.db, [jobRow("a"), jobRow("b"), jobRow("c"), jobRow("never-claimed")]);
      await claim([], NOW, "w1", 300);
      await claim([], NOW, "w2", 100);
      await claim([], NOW, "w3", 5000);
      expect(await expiredJobs(database.db, NOW + 50)).toEqual([]);
      expect((await expiredJobs(database.db, NOW + 1000)).map((j) => [j.step, j.worker_id])).toEqual([
        ["b", "w2"],
        ["a", "w1"],
      ]);
      expect((await expiredJobs(database.db, NOW + 1000, 1)).map((j) => j.step)).toEqual(["b"]);
    });

    it("deletes a job once: the second delete reports it gone", async () => {
      await enqueueJobs(database.db, [jobRow("a")]);
      const [job] = await runJobs(database.db, "run-1");
      expect(await deleteJob(database.db, job!.id)).toBe(true);
      expect(await deleteJob(database.db, job!.id)).toBe(false);
      expect(await runJobs(database.db, "run-1")).toEqual([]);
    });

    it("records an attempt and completes the same row", async () => {
      const key = { run_id: "r1", step: "build", item_index: 0, attempt: 1 };
      await recordAttempt(database.db, {
        ...key,
        status: "running",
        worker_id: "w1",
        started_at: NOW,
        exit_code: null,
        error: null,
        finished_at: null,
      });
      await recordAttempt(database.db, {
        ...key,
        status: "failed",
        worker_id: "w1",
        exit_code: 2,
        error: "boom",
        started_at: NOW,
        finished_at: NOW + 10,
      });
      const rows = await database.db.selectFrom("step_attempts").selectAll().execute();
      expect(rows).toEqual([
        {
          ...key,
          status: "failed",
          exit_code: 2,
          worker_id: "w1",
          error: "boom",
          started_at: NOW,
          finished_at: NOW + 10,
        },
      ]);
    });

    it("stores bundles once by hash, and workers by id", async () => {
      await putBundle(database.db, "h1", "one", NOW);
      await putBundle(database.db, "h1", "changed", NOW + 1);
      expect(await getBundle(database.db, "h1")).toBe("one");
      expect(await getBundle(database.db, "h2")).toBeUndefined();

      const worker = { id: "w1", labels_json: "[]", capacity: 4, hostname: "h", started_at: NOW };
      await upsertWorker(database.db, { ...worker, heartbeat_at: NOW });
      await upsertWorker(database.db, { ...worker, capacity: 8, heartbeat_at: NOW + 5 });
      expect(await database.db.selectFrom("workers").selectAll().execute()).toEqual([
        { ...worker, capacity: 8, heartbeat_at: NOW + 5, kind: "worker", version: null },
      ]);
      // An agent says what it is and which version it runs, each time it registers.
      await upsertWorker(database.db, {
        ...worker,
        id: "a1",
        heartbeat_at: NOW,
        kind: "agent",
        version: "1.0",
      });
      await upsertWorker(database.db, {
        ...worker,
        id: "a1",
        heartbeat_at: NOW + 5,
        kind: "agent",
        version: "1.1",
      });
      expect(
        await database.db.selectFrom("workers").select(["kind", "version"]).where("id", "=", "a1").execute(),
      ).toEqual([{ kind: "agent", version: "1.1" }]);
    });

    it("stores an agent's log lines once by their numbers: a resent batch adds only what is new, a gap nothing", async () => {
      await insertRun(database.db, runRow("r1"));
      const key = { run_id: "r1", step: "s", item_index: 0, attempt: 1 };
      const job = { id: 7, workerId: "agent-k-h-1-a", key };
      const line = (n: number): AgentLogLine => ["stdout", NOW + n, `line ${n}`];
      const append = (from: number, lines: AgentLogLine[]) =>
        appendAgentLog(database.db, job, from, lines, NOW);
      expect(await append(0, [line(0), line(1)])).toEqual({ lines: 2, gap: false });
      expect(await append(0, [line(0), line(1), line(2)])).toEqual({ lines: 3, gap: false });
      expect(await append(1, [line(1), line(2)])).toEqual({ lines: 3, gap: false });
      expect(await append(5, [line(5)])).toEqual({ lines: 3, gap: true });
      expect(await append(3, [line(3), line(4)])).toEqual({ lines: 5, gap: false });
      const chunks = await taskLogChunks(database.db, key);
      const texts = chunks.flatMap((c) => (JSON.parse(c.lines_json) as { x: string }).x.split("\n"));
      expect(texts).toEqual(["line 0", "line 1", "line 2", "line 3", "line 4"]);
      expect(chunks.map((c) => Number(c.first_offset))).toEqual([0, 2, 3]);
      // Another worker holding the job later (a hand-back) counts from 0 on its own.
      expect(
        await appendAgentLog(database.db, { ...job, workerId: "agent-k-h-2-b" }, 0, [line(0)], NOW),
      ).toEqual({
        lines: 1,
        gap: false,
      });
      await deleteAgentLogMarks(database.db, 7);
      expect(await database.db.selectFrom("agent_log_marks").selectAll().execute()).toEqual([]);
    });

    it("counts runs by status", async () => {
      await insertRun(database.db, runRow("a", { status: "failed" }));
      await insertRun(database.db, runRow("b", { status: "failed" }));
      await insertRun(database.db, runRow("c", { status: "succeeded" }));
      expect(await runCountsByStatus(database.db)).toEqual({ failed: 2, succeeded: 1 });
    });
  });
}
