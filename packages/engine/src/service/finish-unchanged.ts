import { environmentName, type TaskOutcome, type WorkflowSpec } from "@gantry/core";
import { writeIfUnchanged } from "../store/queries/write-if-unchanged.js";
import type { ServiceContext } from "./context.js";
import { asStepWrites, finishInput, finishInState, finishWrites } from "./finish-plan.js";
import { rowWritten, runInfo } from "./run-record.js";
import type { ClaimedTask, FinishOptions, JobKey } from "./tasks.js";

/**
 * finishTask for a worker that wrote the run's state last (its start, or its predecessor's finish), on
 * Postgres: planned from the state and row this process kept (RunStateCache) and written in one
 * statement that lands only if the run's header (and masks) are still the ones written then and the job is still
 * this worker's (writeIfUnchanged), with no transaction and no lock held between statements.
 * Undefined when this shortcut does not apply or the run changed meanwhile (another step of it ended,
 * a cancel): the caller then runs finishTask, which decides under the run's lock. `{ claimed }` when
 * it was written: the successor taken, if any. Measured on bench/statements.mjs: 4 statements per
 * finish become 1.
 */
export async function finishUnchanged(
  ctx: ServiceContext,
  job: JobKey,
  outcome: TaskOutcome,
  workerId: string,
  options: FinishOptions,
): Promise<{ claimed: ClaimedTask | undefined } | undefined> {
  // A group's end starts its next run, under the group's lock: finishTask's.
  if (ctx.database.dialect !== "postgres" || options.group !== null) return undefined;
  const written = ctx.runStates.takeWritten(job.run_id);
  if (!written) return undefined;
  const { row, state } = written;
  if (!row) {
    ctx.runStates.put(job.run_id, written.rev, state);
    return undefined;
  }
  const definition = await ctx.definitions.at(ctx.database.db, row.revision);
  if (writesMore(ctx, definition.workflow)) {
    ctx.runStates.put(job.run_id, written.rev, state, row);
    return undefined;
  }
  const info = runInfo(row, ctx.box);
  const { take } = options;
  const input = finishInput(ctx, { run: row, definition, info, state, job, outcome, workerId }, options);
  const writes = finishWrites(input, finishInState(ctx, input));
  const channel = ctx.notifier.databaseChannel?.("jobs");
  // A notifier that does not travel through the database (none on Postgres today) is left to finishTask.
  if (writes.wake !== undefined && !channel) return undefined;
  const result = await writeIfUnchanged(ctx.database.db, {
    runId: row.id,
    expectHeader: row.state_json,
    expectMasks: row.masked_values ?? null,
    job: { id: job.id, workerId },
    ...asStepWrites(writes, take),
    ...(writes.wake !== undefined && channel ? { wake: { channel, payload: writes.wake } } : {}),
  });
  // The state was changed in planning: it is not kept, and finishTask reads the run's rows.
  if (!result.written) return undefined;
  const runNow = rowWritten(row, writes.changes.run);
  ctx.runStates.put(row.id, writes.changes.rev, state, runNow);
  const task = writes.take?.task;
  return {
    claimed:
      result.taken && task ? { job: result.taken, task, run: runNow, definition, info, state } : undefined,
  };
}

/**
 * Whether a finish of this workflow may write more than its run's rows and jobs: notifications (a run's
 * end, an approval asked), or a deployment (a successor taken that deploys to an environment). Kept per
 * workflow revision: a 10,000-step workflow is looked through once, not at every step's end.
 */
function writesMore(ctx: Pick<ServiceContext, "notify">, workflow: WorkflowSpec): boolean {
  if ((ctx.notify?.defaults?.length ?? 0) + (workflow.notify?.length ?? 0) > 0) return true;
  let deploys = deploying.get(workflow);
  if (deploys === undefined) {
    deploys = Object.values(workflow.steps).some((step) => environmentName(step.environment) !== undefined);
    deploying.set(workflow, deploys);
  }
  return deploys;
}

const deploying = new WeakMap<WorkflowSpec, boolean>();
