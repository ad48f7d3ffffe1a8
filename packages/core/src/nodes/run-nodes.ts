import { interpolationString } from "../expressions/data.js";
import { type EvaluationContext, evaluateTemplate } from "../expressions/evaluate.js";
import { runnerSpecFor } from "../format/runner.js";
import type { ActionSpec, WorkflowSpec } from "../format/types.js";
import type { RunInfo } from "../planner/state.js";
import { parseNodeSelector, selectNodes } from "./selector.js";
import type { NodeRecord, RunNodes } from "./types.js";

/** The contexts a node selector may read: what is known when a run starts. */
export const SELECTOR_CONTEXTS = ["inputs", "run", "trigger", "vars", "github"] as const;

/**
 * The node selectors of a workflow, unevaluated: each ssh step's `runner.nodes`, and the value given to
 * each action input of type `nodes` (or its default).
 */
export function nodeSelectorTemplates(
  workflow: WorkflowSpec,
  actions: Record<string, ActionSpec | undefined> = {},
): unknown[] {
  const templates: unknown[] = [];
  for (const [id, step] of Object.entries(workflow.steps)) {
    const action = actions[id];
    // Without the action, as the planner decides it: an action cannot choose ssh.
    const runner = runnerSpecFor(workflow, id);
    if (runner.type === "ssh") templates.push(runner.nodes);
    for (const [name, input] of Object.entries(action?.inputs ?? {})) {
      if (input.type !== "nodes") continue;
      const given = step.with?.[name];
      templates.push(given ?? input.default);
    }
  }
  return templates.filter((t) => t !== undefined);
}

/** Whether runs of this workflow target inventory nodes, so they need a snapshot of them. */
export function usesNodes(workflow: WorkflowSpec, actions?: Record<string, ActionSpec | undefined>): boolean {
  return nodeSelectorTemplates(workflow, actions).length > 0;
}

/**
 * Chooses a run's nodes as it starts: each selector evaluated with the run's inputs, trigger and the
 * other start contexts, matched against the inventory. `info.inputs` should hold only public inputs: the
 * selectors' texts are kept with the run.
 */
export function chooseRunNodes(
  workflow: WorkflowSpec,
  actions: Record<string, ActionSpec | undefined>,
  info: Pick<RunInfo, "id" | "workflow" | "attempt" | "trigger" | "inputs" | "vars" | "github">,
  inventory: readonly NodeRecord[],
): RunNodes {
  const ctx = selectorContext(info);
  const chosen: RunNodes = { selected: {}, records: {}, total: inventory.length };
  for (const template of nodeSelectorTemplates(workflow, actions)) {
    let text: string;
    try {
      text = interpolationString(evaluateTemplate(template, ctx));
    } catch {
      // Reported where the step starts, with the expression's own error.
      continue;
    }
    if (text in chosen.selected) continue;
    try {
      const names: string[] = [];
      for (const node of selectNodes(parseNodeSelector(text), inventory)) {
        names.push(node.name);
        chosen.records[node.name] = node;
      }
      chosen.selected[text] = { names };
    } catch (error) {
      chosen.selected[text] = { error: (error as Error).message };
    }
  }
  return chosen;
}

/**
 * The nodes a selector (already evaluated) chose when the run started, in inventory order; or an error
 * saying why there are none to run on.
 */
export function nodesChosen(
  nodes: RunNodes | undefined,
  text: string,
): { nodes: NodeRecord[] } | { error: string } {
  if (!nodes) {
    return {
      error: `'${text}': this run has no node inventory (declare nodes: in gantry.yaml, for gantry run too)`,
    };
  }
  const entry = nodes.selected[text];
  if (!entry) {
    return {
      error: `'${text}' was not chosen when the run started: a node selector may use only ${SELECTOR_CONTEXTS.join(", ")}`,
    };
  }
  if ("error" in entry) return { error: `'${text}': ${entry.error}` };
  if (entry.names.length === 0) {
    return {
      error: `'${text}' matched none of the ${nodes.total} node${nodes.total === 1 ? "" : "s"} in the inventory`,
    };
  }
  return { nodes: entry.names.map((name) => nodes.records[name] as NodeRecord) };
}

function selectorContext(
  info: Pick<RunInfo, "id" | "workflow" | "attempt" | "trigger" | "inputs" | "vars" | "github">,
): EvaluationContext {
  return {
    contexts: {
      inputs: info.inputs,
      run: { id: info.id, workflow: info.workflow, attempt: info.attempt, trigger: info.trigger.type },
      trigger: info.trigger,
      vars: info.vars ?? {},
      github: info.github ?? {},
    },
  };
}
