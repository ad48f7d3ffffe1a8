import { NotFoundError, type ServiceContext } from "../service/context.js";
import type { UnitOfWork } from "../service/unit-of-work.js";
import { setScheduleSuspended } from "../store/queries/schedule-set-suspended.js";

/**
 * Suspends or resumes a schedule. The state outlives syncs until the workflow file's own `suspend:`
 * changes (the later intent wins). Times that pass while suspended are dropped: resuming does not
 * catch them up, it fires from the next time on.
 */
export async function suspendSchedule(
  ctx: ServiceContext,
  tx: UnitOfWork,
  id: string,
  suspended: boolean,
): Promise<void> {
  if (!(await setScheduleSuspended(tx.db, id, suspended, ctx.now())))
    throw new NotFoundError(`unknown schedule '${id}'`);
  tx.afterCommit(() => ctx.changes.schedules.notify());
}
