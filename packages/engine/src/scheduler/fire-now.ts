import { ConflictError, NotFoundError, type ServiceContext } from "../service/context.js";
import { createRun } from "../service/create-run.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { isUniqueViolation } from "../store/database-errors.js";
import { decodeInputs } from "../store/decode/index.js";
import { getSchedule } from "../store/queries/schedule-get.js";
import { insertScheduleFires } from "../store/queries/schedule-insert-fires.js";
import { scheduleTrigger } from "./fire.js";

/**
 * "Fire now": starts a run of the schedule at once, recorded in its history as a manual fire, as
 * `kubectl create job --from=cronjob/…` does. It runs on any server (no lease needed), also while the
 * schedule is suspended, ignores the schedule's own concurrency policy (the workflow's concurrency
 * group still applies) and leaves the cron times' progress alone. The run and its fire's record commit
 * together.
 */
export async function fireScheduleNow(
  ctx: ServiceContext,
  id: string,
): Promise<{ runId: string; status: string; scheduledAt: number }> {
  const at = ctx.now();
  try {
    const run = await withUnitOfWork(ctx, async (tx) => {
      const row = await getSchedule(tx.db, id);
      if (!row) throw new NotFoundError(`unknown schedule '${id}'`);
      const run = await createRun(ctx, tx, {
        workflow: row.workflow,
        inputs: decodeInputs(row),
        trigger: scheduleTrigger(id, at, true),
      });
      await insertScheduleFires(tx.db, ctx.database.dialect, [
        {
          schedule_id: id,
          scheduled_at: at,
          kind: "manual",
          status: "fired",
          run_id: run.id,
          reason: null,
          recorded_at: at,
        },
      ]);
      return run;
    });
    return { runId: run.id, status: run.status, scheduledAt: at };
  } catch (error) {
    if (isUniqueViolation(error))
      throw new ConflictError(`schedule '${id}' was fired by hand this very millisecond`);
    throw error;
  }
}
