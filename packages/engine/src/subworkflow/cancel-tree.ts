import { cancelRun } from "../service/cancel-run.js";
import type { ServiceContext } from "../service/context.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { activeChildren, completeParent } from "./child-run.js";

/**
 * Cancels a run and, down the tree, its active sub-workflow runs; when the run is itself a child that
 * ended here, its parent's waiting step ends as cancelled (a cancel travels both ways).
 */
export async function cancelRunTree(ctx: ServiceContext, id: string): Promise<{ status: string }> {
  const result = await withUnitOfWork(ctx, (tx) => cancelRun(ctx, tx, id));
  for (const child of await activeChildren(ctx, id)) await cancelRunTree(ctx, child);
  await completeParent(ctx, id);
  return result;
}
