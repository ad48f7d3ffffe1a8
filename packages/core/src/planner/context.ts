import {
  type EvaluationContext,
  evaluateTemplate,
  type HashFiles,
  type StatusFlags,
} from "../expressions/evaluate.js";
import type { StepSpec, WorkflowSpec } from "../format/types.js";
import type { RunInfo, RunState } from "./state.js";

/** `steps.<id>` as expressions see it. */
export function stepsContext(state: RunState): Record<string, unknown> {
  const steps: Record<string, unknown> = {};
  for (const [id, s] of Object.entries(state.steps)) {
    if (s.status === "pending") continue;
    steps[id] = {
      outputs: s.outputs,
      result: s.result ?? null,
      outcome: s.outcome ?? null,
      status: s.status,
    };
  }
  return steps;
}

/** The status functions' answers for a step, from the results of every step it depends on. */
export function statusFlags(state: RunState, ancestors: Iterable<string>): StatusFlags {
  let allSucceeded = true;
  let anyFailed = false;
  for (const id of ancestors) {
    const result = state.steps[id]?.result;
    if (result !== "success") allSucceeded = false;
    if (result === "failure") anyFailed = true;
  }
  return {
    success: allSucceeded && !state.cancelRequested,
    failure: anyFailed,
    cancelled: state.cancelRequested,
  };
}

/** Everything an expression in a step can read, for a given item. */
export function stepContext(
  wf: WorkflowSpec,
  info: RunInfo,
  state: RunState,
  step: StepSpec | undefined,
  extra: { item?: unknown; matrix?: unknown; status?: StatusFlags; hashFiles?: HashFiles } = {},
): EvaluationContext {
  const contexts: Record<string, unknown> = {
    inputs: info.inputs,
    steps: undefined,
    secrets: info.secrets ?? {},
    vars: info.vars ?? {},
    run: { id: info.id, workflow: info.workflow, attempt: info.attempt, trigger: info.trigger.type },
    trigger: info.trigger,
    github: info.github ?? {},
    item: extra.item ?? null,
    matrix: extra.matrix ?? null,
    env: {},
  };
  // Made when an expression reads it: most steps evaluate none, and it holds every step of the run.
  let steps: Record<string, unknown> | undefined;
  Object.defineProperty(contexts, "steps", {
    enumerable: true,
    configurable: true,
    get: () => {
      steps ??= stepsContext(state);
      return steps;
    },
  });
  const base: EvaluationContext = {
    contexts,
    ...(extra.status ? { status: extra.status } : {}),
    ...(extra.hashFiles ? { hashFiles: extra.hashFiles } : {}),
  };
  const workflowEnv = evaluateTemplate(wf.env ?? {}, base) as Record<string, unknown>;
  contexts.env = workflowEnv;
  if (step?.env)
    contexts.env = { ...workflowEnv, ...(evaluateTemplate(step.env, base) as Record<string, unknown>) };
  return base;
}
