import { environmentName, type WorkflowSpec } from "@gantry/core";
import type { ServiceContext } from "./context.js";

/**
 * Whether starting `step` writes more than its run's rows: a deployment (the step deploys to an
 * environment) or a `started` message (notifications are configured). Starts that do not can be
 * written without the run's lock held across statements.
 */
export function startWritesMore(
  ctx: Pick<ServiceContext, "notify">,
  workflow: WorkflowSpec,
  step: string,
): boolean {
  return (
    environmentName(workflow.steps[step]?.environment) !== undefined ||
    (ctx.notify?.defaults?.length ?? 0) + (workflow.notify?.length ?? 0) > 0
  );
}
