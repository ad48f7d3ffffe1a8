import { Planner } from "@gantry/core";
import { queueRunNotifications } from "../notify/events.js";
import { deleteJob } from "../store/queries/delete-job.js";
import { enqueueJobs } from "../store/queries/enqueue-jobs.js";
import { getRun } from "../store/queries/get-run.js";
import { lockRun } from "../store/queries/lock-run.js";
import { runJobs } from "../store/queries/run-jobs.js";
import { updateRun } from "../store/queries/update-run.js";
import { lockGroupOfRun, startNextInGroup } from "./concurrency-group.js";
import { NotFoundError, type ServiceContext } from "./context.js";
import { jobsFor } from "./jobs.js";
import { loadRunState, runInfo, saveState, secretMasker, TERMINAL_RUN_STATUSES } from "./run-record.js";
import type { UnitOfWork } from "./unit-of-work.js";

/**
 * Cancels a run in the caller's unit of work: queued steps are dropped, running ones are told to stop
 * (workers kill them and report them cancelled), and steps whose `if` asks for always() or cancelled()
 * are queued as clean-up.
 */
export async function cancelRun(
  ctx: ServiceContext,
  tx: UnitOfWork,
  id: string,
): Promise<{ status: string }> {
  const lockedGroup = await lockGroupOfRun(tx, id);
  const status = await cancelRunLocked(ctx, tx, id);
  // A run that ends at once (none of its steps was running) frees its concurrency group here: no
  // finishTask will come to start the run waiting behind it.
  const group = lockedGroup ?? (await getRun(tx.db, id))?.concurrency_group;
  if (group && (TERMINAL_RUN_STATUSES as readonly string[]).includes(status))
    await startNextInGroup(ctx, tx.db, group);
  tx.notify("cancel", id);
  tx.notify("jobs");
  return { status };
}

/**
 * Cancels a run whose concurrency group the caller has locked already (createRun's cancel-running
 * policy holds it), without starting the group's next run. Returns the run's status after the cancel.
 */
export async function cancelRunLocked(ctx: ServiceContext, tx: UnitOfWork, id: string): Promise<string> {
  const { db } = tx;
  const row = await lockRun(db, tx.dialect, id);
  if (!row) throw new NotFoundError(`unknown run '${id}'`);
  if ((TERMINAL_RUN_STATUSES as readonly string[]).includes(row.status)) return row.status;
  const now = ctx.now();
  if (row.status === "pending") {
    // Never started (waiting for its concurrency group): nothing to stop.
    await updateRun(db, id, { status: "cancelled", cancel_requested: 1, finished_at: now });
    return "cancelled";
  }
  const definition = await ctx.definitions.at(db, row.revision);
  const info = runInfo(row, ctx.box);
  const planner = new Planner(definition.workflow, info);
  const state = await loadRunState(db, row);
  const { tasks } = planner.cancel(state);
  for (const job of await runJobs(db, id)) {
    if (job.status === "queued") await deleteJob(db, job.id);
  }
  await enqueueJobs(db, jobsFor(id, definition.workflow, tasks, now, definition.actions));
  await updateRun(db, id, { cancel_requested: 1 });
  await queueRunNotifications(ctx, db, { row, workflow: definition.workflow, info, state, now });
  // A cancel can end the run (nothing was running), and then the workflow outputs are evaluated.
  await saveState(db, row, state, now, { masker: secretMasker(definition.workflow, info) });
  return state.status === "running" ? "cancelling" : state.status;
}
