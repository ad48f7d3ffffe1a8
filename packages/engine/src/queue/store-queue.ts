import { Planner } from "@gantry/core";
import type { ServiceContext } from "../service/context.js";
import { finishUnchanged } from "../service/finish-unchanged.js";
import { loadRunState, saveState } from "../service/run-record.js";
import { startClaimedTask } from "../service/start-claimed.js";
import { type FinishOptions, finishTask, startTask } from "../service/tasks.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { cancelRequestedRuns } from "../store/queries/cancel-requested.js";
import { claimJobs } from "../store/queries/claim-jobs.js";
import { type ClaimedWithRun, claimJobsWithRuns } from "../store/queries/claim-jobs-with-runs.js";
import { heldJobs } from "../store/queries/held-jobs.js";
import { lockRun } from "../store/queries/lock-run.js";
import { nextAvailableAt } from "../store/queries/next-available.js";
import { renewLeases } from "../store/queries/renew-leases.js";
import { requeueJob } from "../store/queries/requeue-job.js";
import { upsertWorker } from "../store/queries/upsert-worker.js";
import { workerHeartbeatAt } from "../store/queries/worker-heartbeat.js";
import { completeParent, startChildRun } from "../subworkflow/child-run.js";
import type { StartedTask, WorkerQueue } from "../worker/worker-queue.js";
import { startedTask } from "./started-task.js";

/**
 * The queue of a worker that reaches the database: the jobs table, the run operations of service/
 * (which re-plan a run under its row lock), and the notifier for wake-ups.
 */
export function storeQueue(ctx: ServiceContext): WorkerQueue {
  const { db } = ctx.database;
  const dialect = ctx.database.dialect;
  // The last step of a child run ends its parent's waiting step.
  const endParent = async (run: StartedTask["run"]) => {
    if (run.child) await completeParent(ctx, run.id);
  };
  // Postgres: what a claim read of each job's run, until the job's start takes it (see startClaimedTask).
  const claimedRuns = new Map<number, ClaimedWithRun>();
  return {
    async register(worker) {
      await upsertWorker(db, {
        id: worker.id,
        labels_json: JSON.stringify(worker.labels),
        capacity: worker.capacity,
        hostname: worker.hostname,
        started_at: worker.startedAt,
        heartbeat_at: worker.now,
      });
    },
    subscribe(listener) {
      const offJobs = ctx.notifier.subscribe("jobs", (payload) => listener.jobs(payload));
      const offCancel = ctx.notifier.subscribe("cancel", (runId) => listener.cancel(runId));
      const offer = listener.offer?.bind(listener);
      const offLocal = offer ? ctx.localWorkers.add({ offer }) : () => {};
      return () => {
        offJobs();
        offCancel();
        offLocal();
      };
    },
    async claim(request) {
      const worker = { id: request.workerId, labels: request.labels };
      if (dialect !== "postgres")
        return claimJobs(db, dialect, worker, request.now, request.leaseUntil, request.limit);
      const claimed = await claimJobsWithRuns(db, worker, request.now, request.leaseUntil, request.limit);
      // Bounded: a job claimed and never started here (its worker stopping) leaves no lasting entry.
      if (claimedRuns.size > 1000) claimedRuns.clear();
      for (const entry of claimed) claimedRuns.set(entry.job.id, entry);
      return claimed.map((entry) => entry.job);
    },
    nextDue: (now) => nextAvailableAt(db, now),
    held: (workerId, leasedBeyond) => heldJobs(db, workerId, leasedBeyond),
    async start(job, workerId) {
      const read = claimedRuns.get(job.id);
      claimedRuns.delete(job.id);
      // Taken only once: a start repeated after a lost answer decides under the run's lock.
      const unlocked = read && (await startClaimedTask(ctx, read, job, workerId));
      if (unlocked) return startedTask(ctx, unlocked, job);
      const claimed = await withUnitOfWork(ctx, (tx) => startTask(ctx, tx, job, workerId));
      return claimed ? startedTask(ctx, claimed, job) : undefined;
    },
    async startSubWorkflow(started, workerId) {
      await startChildRun(ctx, started, workerId);
      // A child that could not start failed the step, and maybe its run: which may be a child too.
      await endParent(started.run);
    },
    async finish(started, outcome, options) {
      const { workerId } = options;
      const leaseUntil = options.take?.leaseUntil;
      const finishOptions: FinishOptions = {
        group: started.run.concurrency_group,
        ...(options.secrets ? { secrets: options.secrets } : {}),
        ...(options.masks ? { masks: options.masks } : {}),
        ...(options.take && workerId !== null && leaseUntil !== undefined
          ? { take: { workerId, labels: options.take.labels, leaseUntil } }
          : {}),
      };
      // One guarded statement when this worker wrote the run last; else under the run's lock.
      const unchanged =
        workerId !== null
          ? await finishUnchanged(ctx, started.job, outcome, workerId, finishOptions)
          : undefined;
      const taken = unchanged
        ? unchanged.claimed
        : await withUnitOfWork(ctx, (tx) =>
            finishTask(ctx, tx, started.job, outcome, workerId, finishOptions),
          );
      await endParent(started.run);
      // Taken in the transaction that finished its predecessor: due and leased from then on.
      return taken
        ? startedTask(ctx, taken, { ...taken.job, available_at: ctx.now(), lease_until: leaseUntil ?? null })
        : undefined;
    },
    async release(started) {
      await withUnitOfWork(ctx, async (unit) => {
        const tx = unit.db;
        const run = await lockRun(tx, dialect, started.job.run_id);
        if (!run) return;
        const definition = await ctx.definitions.at(tx, run.revision);
        const state = await loadRunState(tx, run);
        const planner = new Planner(definition.workflow, started.info, ctx.definitions.graph(definition));
        planner.release(state, started.task);
        await saveState(tx, run, state, ctx.now(), { steps: planner.touched });
        await requeueJob(tx, started.job.id, ctx.now());
      });
      // Sent even for a run gone meanwhile, as any wake-up may be spurious: idle workers look once.
      await ctx.notifier.notify("jobs");
    },
    renew: (workerId, leaseUntil, jobIds) => renewLeases(db, workerId, leaseUntil, jobIds),
    cancelRequested: (runIds) => cancelRequestedRuns(db, runIds),
    async isAlive(workerId, since) {
      const at = await workerHeartbeatAt(db, workerId);
      return at !== undefined && at >= since;
    },
  };
}
