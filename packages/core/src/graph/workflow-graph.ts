import type { WorkflowSpec } from "../format/types.js";
import { needsOf } from "./dag.js";

/**
 * What the planner reads of a workflow's shape besides its steps: the steps that need each step. It
 * depends on the workflow alone, so a process that plans many events of one revision makes it once.
 */
export interface WorkflowGraph {
  /** For each step, the steps that name it in `needs` (existing steps only), in workflow order. */
  readonly dependents: ReadonlyMap<string, readonly string[]>;
  /** The steps no step needs, in workflow order: every other step is an ancestor of one of them. */
  readonly sinks: readonly string[];
}

export function workflowGraph(workflow: WorkflowSpec): WorkflowGraph {
  const dependents = new Map<string, string[]>();
  for (const [id, spec] of Object.entries(workflow.steps)) {
    for (const need of needsOf(spec)) {
      if (!(need in workflow.steps)) continue;
      const list = dependents.get(need);
      if (list) {
        if (list[list.length - 1] !== id) list.push(id);
      } else dependents.set(need, [id]);
    }
  }
  const sinks = Object.keys(workflow.steps).filter((id) => !dependents.has(id));
  return { dependents, sinks };
}
