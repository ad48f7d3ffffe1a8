import { keptBeforeStep, type StepState } from "@gantry/core";
import { decodeRunState, decodeRunTrigger } from "../store/decode/index.js";
import { getRun } from "../store/queries/get-run.js";
import { getWorkflow } from "../store/queries/get-workflow.js";
import { ConflictError, InvalidInputError, NotFoundError, type ServiceContext } from "./context.js";
import { createRun } from "./create-run.js";
import { runInfo } from "./run-record.js";
import type { UnitOfWork } from "./unit-of-work.js";

export interface RerunRequest {
  /** Keep the steps that succeeded; run the failed, cancelled and skipped ones again. */
  fromFailed?: boolean;
  /** Run this step and every step after it again; the others keep their results and outputs. */
  fromStep?: string;
  /** `pinned` (default): the run's own revision and commit. `current`: the workflow as it is now. */
  revision?: "pinned" | "current";
}

const ACTIVE = new Set(["pending", "queued", "running"]);

/**
 * Starts a run again with the same inputs and trigger, in the caller's unit of work. It reads only the
 * run's row (its state holds every step's outputs), so a run whose logs were archived or deleted re-runs
 * the same way.
 */
export async function rerunRun(
  ctx: ServiceContext,
  tx: UnitOfWork,
  id: string,
  request: RerunRequest = {},
): Promise<{ id: string; status: string; revision: string }> {
  const { db } = tx;
  const original = await getRun(db, id);
  if (!original) throw new NotFoundError(`unknown run '${id}'`);
  if (request.fromStep !== undefined && request.fromFailed)
    throw new InvalidInputError([
      { field: "from_step", message: "from_step and from_failed cannot be combined: choose one" },
    ]);
  if (request.fromStep !== undefined && ACTIVE.has(original.status))
    throw new ConflictError(
      `run '${id}' is still ${original.status}: a re-run from a step needs the run to have finished`,
    );
  let revision = original.revision;
  if (request.revision === "current") {
    const workflow = await getWorkflow(db, original.workflow);
    if (!workflow) throw new NotFoundError(`workflow '${original.workflow}' no longer exists`);
    revision = workflow.revision;
  }
  const previous = decodeRunState(original)?.steps ?? {};
  let keep: Record<string, StepState> | undefined;
  if (request.fromStep !== undefined) {
    const { workflow } = await ctx.definitions.at(db, revision);
    keep = keptBeforeStep(workflow, previous, request.fromStep);
    if (!keep)
      throw new InvalidInputError([
        {
          field: "from_step",
          message: `from_step: workflow '${original.workflow}' has no step '${request.fromStep}' at revision ${revision.slice(0, 12)} (steps: ${Object.keys(workflow.steps).join(", ")})`,
        },
      ]);
  } else if (request.fromFailed) keep = previous;
  const info = runInfo(original, ctx.box);
  const run = await createRun(ctx, tx, {
    workflow: original.workflow,
    revision,
    inputs: info.inputs,
    ...(info.github ? { github: info.github } : {}),
    // A re-run keeps its run's trigger (as GitHub re-runs keep the event), marked with where it came from.
    trigger: {
      ...decodeRunTrigger(original),
      rerun_of: original.id,
      ...(request.fromStep !== undefined ? { rerun_from: request.fromStep } : {}),
      ...(request.revision === "current" ? { rerun_revision: "current" } : {}),
    },
    parentRunId: original.id,
    attempt: original.attempt + 1,
    ...(keep ? { keep } : {}),
  });
  return { ...run, revision };
}
