import { cancelRun } from "../service/cancel-run.js";
import type { ServiceContext } from "../service/context.js";
import { headerOnly, TERMINAL_RUN_STATUSES } from "../service/run-record.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { decodeRunState } from "../store/decode/index.js";
import { lockRun } from "../store/queries/lock-run.js";
import { updateRun } from "../store/queries/update-run.js";
import { activeChildren, completeParent } from "./child-run.js";

/**
 * Cancels a run and, down the tree, its active sub-workflow runs, each saying why (`reason` is kept as
 * the run's error, and its children's name it); when the run is itself a child that ended here, its
 * parent's waiting step ends as cancelled (a cancel travels both ways).
 */
export async function cancelRunTree(
  ctx: ServiceContext,
  id: string,
  reason?: string,
): Promise<{ status: string }> {
  if (reason !== undefined) await recordCancelReason(ctx, id, reason);
  const result = await withUnitOfWork(ctx, (tx) => cancelRun(ctx, tx, id));
  const why = `its parent run ${id} was cancelled${reason !== undefined ? `: ${reason}` : ""}`;
  for (const child of await activeChildren(ctx, id)) await cancelRunTree(ctx, child, why);
  await completeParent(ctx, id);
  return result;
}

/**
 * Records why a run is being cancelled, before the cancel: as its state's error, which the run keeps
 * when it ends (a run with running steps ends later, when they report), or as the error of a run that
 * never started (pending in its concurrency group, no state yet). A run that has ended keeps its own.
 */
async function recordCancelReason(ctx: ServiceContext, id: string, reason: string): Promise<void> {
  // A unit of its own, before the cancel's: the cancel locks the run's concurrency group before the run.
  await withUnitOfWork(ctx, async ({ db: tx, dialect }) => {
    const row = await lockRun(tx, dialect, id);
    if (!row || (TERMINAL_RUN_STATUSES as readonly string[]).includes(row.status)) return;
    const state = decodeRunState(row);
    if (!state) return void (await updateRun(tx, id, { error: `cancelled: ${reason}` }));
    if (state.error !== undefined) return;
    state.error = `cancelled: ${reason}`;
    await updateRun(tx, id, { state_json: headerOnly(row, state) });
  });
}
