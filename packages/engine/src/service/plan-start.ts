import { Planner, type RunInfo, type StepState } from "@gantry/core";
import type { WorkflowDefinition } from "./workflow-definition.js";

/**
 * A run's first plan: its state and the tasks to queue, keeping the given steps' results (re-runs), and
 * the planner that made it (to start a first task in the same write).
 */
export function planStart(definition: WorkflowDefinition, info: RunInfo, keep?: Record<string, StepState>) {
  const planner = new Planner(definition.workflow, info);
  return { ...(keep ? planner.startFrom(keep) : planner.start()), planner };
}
