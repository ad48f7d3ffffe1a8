import { Planner, type RunInfo, type RunState, stampGates, type Task, type TaskOutcome } from "@gantry/core";
import type { Selectable } from "kysely";
import { recordDeployment } from "../gates/deployments.js";
import { queueRunNotifications } from "../notify/events.js";
import { deleteJob } from "../store/queries/delete-job.js";
import { lockRunForStep } from "../store/queries/lock-run-for-step.js";
import type { Db } from "../store/queries/types.js";
import { writeStep } from "../store/queries/write-step.js";
import type { JobsTable, RunsTable } from "../store/tables.js";
import { lockGroupOfRun, startNextInGroup } from "./concurrency-group.js";
import type { ServiceContext } from "./context.js";
import {
  asStepWrites,
  finishInput,
  finishInState,
  finishWrites,
  type JobKey,
  taskOf,
} from "./finish-plan.js";
import { startedAttemptRow } from "./jobs.js";
import { keepRunState, rowWritten, runInfo, stateChanges, takeRunState } from "./run-record.js";
import type { UnitOfWork } from "./unit-of-work.js";
import type { WorkflowDefinition } from "./workflow-definition.js";

export type Job = Selectable<JobsTable>;
/** What names a job: enough to start or finish its task. */
export type { JobKey };

/** What a worker needs to run a claimed job. */
export interface ClaimedTask {
  job: JobKey;
  task: Task;
  run: Selectable<RunsTable>;
  definition: WorkflowDefinition;
  info: RunInfo;
  state: RunState;
}

/**
 * Marks a claimed job's task as started in the run's state, in the caller's unit of work. Undefined when
 * the task must not run (the run was cancelled or the task is stale); the job is then dropped.
 */
export async function startTask(
  ctx: ServiceContext,
  unit: UnitOfWork,
  job: JobKey,
  workerId: string,
): Promise<ClaimedTask | undefined> {
  const tx = unit.db;
  // A run this process did not write last (created by a server): its steps are read with its row.
  const { run, steps } = await lockRunForStep(tx, ctx.database.dialect, job.run_id, {
    steps: !ctx.runStates.has(job.run_id),
  });
  if (!run || run.state_json === "null") {
    await deleteJob(tx, job.id);
    return undefined;
  }
  const definition = await ctx.definitions.at(tx, run.revision);
  const info = runInfo(run, ctx.box);
  const planner = new Planner(definition.workflow, info, ctx.definitions.graph(definition));
  const state = await takeRunState(ctx, tx, run, steps);
  const task = taskOf(job);
  const now = ctx.now();
  if (!planner.claim(state, task, now)) {
    // This worker's own start, repeated because the answer to its commit was lost (a dropped
    // connection): the task runs already in the state and the job is still held by this worker.
    // Dropping the job here would leave the step running in the state with nothing to run it.
    if (await heldBy(tx, job, workerId, state)) return { job, task, run, definition, info, state };
    await deleteJob(tx, job.id);
    return undefined;
  }
  const changes = stateChanges(run, state, now, { started: true, steps: planner.touched });
  await writeStep(tx, ctx.database.dialect, {
    runId: run.id,
    run: changes.run,
    steps: changes.steps,
    attempts: [startedAttemptRow(job, workerId, now)],
  });
  keepRunState(ctx, unit, changes.rev, state, rowWritten(run, changes.run));
  await recordDeployment(tx, run, definition, info, state, task, now);
  if (run.started_at === null)
    await queueRunNotifications(ctx, tx, {
      row: run,
      workflow: definition.workflow,
      info,
      state,
      now,
      started: true,
    });
  return { job, task, run, definition, info, state };
}

async function heldBy(tx: Db, job: JobKey, workerId: string, state: RunState): Promise<boolean> {
  const item = state.steps[job.step]?.items[job.item_index];
  if (item?.status !== "running" || item.attempts !== job.attempt) return false;
  const row = await tx
    .selectFrom("jobs")
    .select("id")
    .where("id", "=", job.id)
    .where("worker_id", "=", workerId)
    .where("status", "=", "running")
    .executeTakeFirst();
  return row !== undefined;
}

export interface FinishOptions {
  /**
   * The run's concurrency group, when the caller knows it (a worker read the run's row when it started
   * the step; the column never changes): saves reading it again before the group lock.
   */
  group?: string | null;
  /**
   * The finishing worker, when it can run one more step now: a successor that became ready, that it
   * may run (labels) and that waits for no retry delay is inserted as its claimed job and started in
   * this same transaction, and returned. A two-step run then costs no NOTIFY, no claim and no start
   * transaction between its steps (measured: 36 → 27 statements per two-step run, see bench/README.md).
   */
  take?: { workerId: string; labels: string[]; leaseUntil: number };
  /** Secrets the finishing worker knew besides the secret inputs (resolved references, ::add-mask::). */
  secrets?: string[];
  /** The values the step registered with ::add-mask::: kept sealed with the run for its later steps. */
  masks?: string[];
  /**
   * The reaper's fence: the job counts as lost only if its lease is still over at this time (its worker
   * may have renewed it since the reaper read it).
   */
  expiredBefore?: number;
}

/**
 * Records how a task ended and queues what became ready, in the caller's unit of work, under the run's
 * row lock: no central orchestrator, and two steps finishing at once never lose or duplicate a successor.
 */
export async function finishTask(
  ctx: ServiceContext,
  unit: UnitOfWork,
  job: JobKey,
  outcome: TaskOutcome,
  workerId: string | null,
  options: FinishOptions = {},
): Promise<ClaimedTask | undefined> {
  const tx = unit.db;
  // The run may end here and start the next run of its group: lock the group first (see lockGroupOfRun).
  await lockGroupOfRun(unit, job.run_id, options.group);
  // Gone already: a reaper took this job from a worker it thought lost, or the reverse. First one wins.
  // Fenced by worker and attempt (a job row is one attempt): a late result of a superseded try, or of
  // a job handed to another worker since, changes nothing.
  const fence = {
    ...(workerId !== null ? { workerId } : {}),
    ...(options.expiredBefore !== undefined ? { expiredBefore: options.expiredBefore } : {}),
  };
  const { run, steps, jobDeleted } = await lockRunForStep(tx, ctx.database.dialect, job.run_id, {
    steps: !ctx.runStates.has(job.run_id),
    deleteJob: { id: job.id, fence },
  });
  if (!jobDeleted) return undefined;
  if (!run || run.state_json === "null") return undefined;
  const definition = await ctx.definitions.at(tx, run.revision);
  const info = runInfo(run, ctx.box);
  const state = await takeRunState(ctx, tx, run, steps);
  const { take } = options;
  const input = finishInput(ctx, { run, definition, info, state, job, outcome, workerId }, options);
  const { now } = input;
  const finished = finishInState(ctx, input);
  await queueRunNotifications(ctx, tx, {
    row: run,
    workflow: definition.workflow,
    info,
    state,
    now,
    newGates: stampGates(state, now),
  });
  const writes = finishWrites(input, finished);
  // One statement on Postgres: this step's end, the successor's start, the queued jobs, the run.
  const takenJob = await writeStep(tx, ctx.database.dialect, {
    runId: run.id,
    ...asStepWrites(writes, take),
  });
  // The successor masks what this step registered: it reads the run's masks from this row.
  const runNow = rowWritten(run, writes.changes.run);
  keepRunState(ctx, unit, writes.changes.rev, state, runNow);
  const task = writes.take?.task;
  if (task) await recordDeployment(tx, run, definition, info, state, task, now);
  const claimed: ClaimedTask | undefined =
    takenJob && task ? { job: takenJob, task, run: runNow, definition, info, state } : undefined;
  let notify = writes.wake !== undefined;
  if (state.status !== "running" && run.concurrency_group) {
    notify = (await startNextInGroup(ctx, tx, run.concurrency_group)) || notify;
  }
  if (notify) unit.notify("jobs", writes.wake ?? "");
  return claimed;
}
