import type { WorkflowSpec } from "../format/types.js";
import { dependentsOf } from "../graph/dag.js";
import type { StepState } from "./state.js";

/** The steps a step leads to: every step that needs it, directly or further down. */
export function descendantsOf(workflow: WorkflowSpec, step: string): Set<string> {
  return dependentsOf(workflow.steps, step);
}

/**
 * The earlier results a re-run from `fromStep` reuses: every step of the previous run except that step
 * and the steps after it. Planner.startFrom then keeps the ones that succeeded (with their outputs) and
 * runs everything else again. Undefined when the workflow (at the revision re-run) has no such step.
 */
export function keptBeforeStep(
  workflow: WorkflowSpec,
  previous: Record<string, StepState>,
  fromStep: string,
): Record<string, StepState> | undefined {
  if (!(fromStep in workflow.steps)) return undefined;
  const again = descendantsOf(workflow, fromStep).add(fromStep);
  return Object.fromEntries(Object.entries(previous).filter(([id]) => !again.has(id)));
}
