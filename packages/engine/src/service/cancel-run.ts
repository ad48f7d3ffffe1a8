import { Planner } from "@gantry/core";
import { queueRunNotifications } from "../notify/events.js";
import { deleteJob } from "../store/queries/delete-job.js";
import { enqueueJobs } from "../store/queries/enqueue-jobs.js";
import { getRun } from "../store/queries/get-run.js";
import { lockRun } from "../store/queries/lock-run.js";
import { runJobs } from "../store/queries/run-jobs.js";
import type { Db } from "../store/queries/types.js";
import { updateRun } from "../store/queries/update-run.js";
import { NotFoundError, type ServiceContext } from "./context.js";
import { startNextInGroup } from "./create-run.js";
import { groupToLock, lockGroup } from "./group-lock.js";
import { jobsFor } from "./jobs.js";
import {
  ACTIVE_RUN_STATUSES,
  runInfo,
  runState,
  saveState,
  secretMasker,
  TERMINAL_RUN_STATUSES,
} from "./run-record.js";

export async function activeInGroup(db: Db, group: string) {
  return db
    .selectFrom("runs")
    .select("id")
    .where("concurrency_group", "=", group)
    .where("status", "in", [...ACTIVE_RUN_STATUSES])
    .execute();
}

/**
 * Cancels a run: queued steps are dropped, running ones are told to stop (workers kill them and report
 * them cancelled), and steps whose `if` asks for always() or cancelled() are queued as clean-up.
 */
export async function cancelRun(ctx: ServiceContext, id: string): Promise<{ status: string }> {
  const { dialect } = ctx.database;
  const status = await ctx.database.db.transaction().execute(async (tx) => {
    const lockedGroup = await groupToLock(tx, dialect, id);
    if (lockedGroup) await lockGroup(tx, dialect, lockedGroup);
    const status = await cancelRunInTx(ctx, tx, id);
    // A run that ends at once (none of its steps was running) frees its concurrency group here: no
    // finishTask will come to start the run waiting behind it.
    const group = lockedGroup ?? (await getRun(tx, id))?.concurrency_group;
    if (group && (TERMINAL_RUN_STATUSES as readonly string[]).includes(status))
      await startNextInGroup(ctx, tx, group);
    return status;
  });
  await ctx.notifier.notify("cancel", id);
  await ctx.notifier.notify("jobs");
  return { status };
}

export async function cancelRunInTx(ctx: ServiceContext, tx: Db, id: string): Promise<string> {
  const row = await lockRun(tx, ctx.database.dialect, id);
  if (!row) throw new NotFoundError(`unknown run '${id}'`);
  if ((TERMINAL_RUN_STATUSES as readonly string[]).includes(row.status)) return row.status;
  const now = ctx.now();
  if (row.status === "pending") {
    // Never started (waiting for its concurrency group): nothing to stop.
    await updateRun(tx, id, { status: "cancelled", cancel_requested: 1, finished_at: now });
    return "cancelled";
  }
  const definition = await ctx.definitions.at(tx, row.revision);
  const info = runInfo(row, ctx.box);
  const planner = new Planner(definition.workflow, info);
  const state = runState(row);
  const { tasks } = planner.cancel(state);
  for (const job of await runJobs(tx, id)) {
    if (job.status === "queued") await deleteJob(tx, job.id);
  }
  await enqueueJobs(tx, jobsFor(id, definition.workflow, tasks, now, definition.actions));
  await updateRun(tx, id, { cancel_requested: 1 });
  await queueRunNotifications(ctx, tx, { row, workflow: definition.workflow, info, state, now });
  // A cancel can end the run (nothing was running), and then the workflow outputs are evaluated.
  await saveState(tx, row, state, now, { masker: secretMasker(definition.workflow, info) });
  return state.status === "running" ? "cancelling" : state.status;
}
