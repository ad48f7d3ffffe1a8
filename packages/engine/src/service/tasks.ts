import { Planner, type RunInfo, type RunState, type Task, type TaskOutcome } from "@gantry/core";
import type { Selectable } from "kysely";
import { deleteJob } from "../store/queries/delete-job.js";
import { enqueueJobs } from "../store/queries/enqueue-jobs.js";
import { lockRun } from "../store/queries/lock-run.js";
import { recordAttempt } from "../store/queries/record-attempt.js";
import type { JobsTable, RunsTable } from "../store/tables.js";
import type { ServiceContext } from "./context.js";
import { startNextInGroup } from "./create-run.js";
import type { WorkflowDefinition } from "./definition.js";
import { definitionAt } from "./definitions.js";
import { groupToLock, lockGroup } from "./group-lock.js";
import { jobsFor } from "./jobs.js";
import { runInfo, runState, saveState, secretMasker } from "./run-record.js";

export type Job = Selectable<JobsTable>;

/** What a worker needs to run a claimed job. */
export interface ClaimedTask {
  job: Job;
  task: Task;
  run: Selectable<RunsTable>;
  definition: WorkflowDefinition;
  info: RunInfo;
  state: RunState;
}

const taskOf = (job: Job): Task => ({
  step: job.step,
  index: job.item_index,
  attempt: job.attempt,
  delayMs: 0,
});

/**
 * Marks a claimed job's task as started in the run's state. Undefined when the task must not run (the
 * run was cancelled or the task is stale); the job is then dropped.
 */
export async function startTask(
  ctx: ServiceContext,
  job: Job,
  workerId: string,
): Promise<ClaimedTask | undefined> {
  return ctx.database.db.transaction().execute(async (tx) => {
    const run = await lockRun(tx, ctx.database.dialect, job.run_id);
    if (!run || run.state_json === "null") {
      await deleteJob(tx, job.id);
      return undefined;
    }
    const definition = await definitionAt(tx, run.revision);
    const info = runInfo(run, ctx.box);
    const planner = new Planner(definition.workflow, info);
    const state = runState(run);
    const task = taskOf(job);
    const now = ctx.now();
    if (!planner.claim(state, task, now)) {
      await deleteJob(tx, job.id);
      return undefined;
    }
    await saveState(tx, run, state, now, { started: true });
    await recordAttempt(tx, {
      run_id: run.id,
      step: job.step,
      item_index: job.item_index,
      attempt: job.attempt,
      status: "running",
      exit_code: null,
      worker_id: workerId,
      error: null,
      started_at: now,
      finished_at: null,
    });
    return { job, task, run, definition, info, state };
  });
}

/**
 * Records how a task ended and queues what became ready, in one transaction under the run's row lock:
 * no central orchestrator, and two steps finishing at once never lose or duplicate a successor.
 */
export async function finishTask(
  ctx: ServiceContext,
  job: Job,
  outcome: TaskOutcome,
  workerId: string | null,
): Promise<void> {
  let notify = false;
  await ctx.database.db.transaction().execute(async (tx) => {
    // The run may end here and start the next run of its group: lock the group first (see lockGroup).
    const group = await groupToLock(tx, ctx.database.dialect, job.run_id);
    if (group) await lockGroup(tx, ctx.database.dialect, group);
    const run = await lockRun(tx, ctx.database.dialect, job.run_id);
    // Gone already: a reaper took this job from a worker it thought lost, or the reverse. First one wins.
    if (!(await deleteJob(tx, job.id))) return;
    if (!run || run.state_json === "null") return;
    const definition = await definitionAt(tx, run.revision);
    const info = runInfo(run, ctx.box);
    // Outputs that carry a secret are masked before they are stored, as GitHub Actions redacts them.
    const masker = secretMasker(definition.workflow, info);
    const safe: TaskOutcome = {
      ...outcome,
      outputs: Object.fromEntries(
        Object.entries(outcome.outputs ?? {}).map(([k, v]) => [
          k,
          typeof v === "string" ? masker.mask(v) : v,
        ]),
      ),
      ...(outcome.error ? { error: masker.mask(outcome.error) } : {}),
    };
    const planner = new Planner(definition.workflow, info);
    const state = runState(run);
    const now = ctx.now();
    const next = planner.finish(state, taskOf(job), safe);
    await recordAttempt(tx, {
      run_id: run.id,
      step: job.step,
      item_index: job.item_index,
      attempt: job.attempt,
      status: outcome.status,
      exit_code: outcome.exitCode ?? null,
      worker_id: workerId,
      error: safe.error ?? null,
      started_at: outcome.startedAt ?? null,
      finished_at: outcome.finishedAt ?? now,
    });
    await enqueueJobs(tx, jobsFor(run.id, definition.workflow, next, now));
    await saveState(tx, run, state, now, { masker });
    notify = next.length > 0;
    if (state.status !== "running" && run.concurrency_group) {
      notify = (await startNextInGroup(ctx, tx, run.concurrency_group)) || notify;
    }
  });
  if (notify) await ctx.notifier.notify("jobs");
}
