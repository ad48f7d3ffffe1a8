import { truthy } from "../expressions/data.js";
import {
  evaluateExpression,
  evaluateTemplate,
  parseExpression,
  type StatusFlags,
} from "../expressions/evaluate.js";
import { expressionFacts } from "../expressions/references.js";
import { wholeExpression } from "../expressions/template.js";
import type { ServiceSpec } from "../format/job-types.js";
import type { ActionSpec, InnerStepSpec, StepSpec, WorkflowSpec } from "../format/types.js";
import { coerceInputs } from "../inputs/coerce.js";
import { statusFlags, stepContext } from "../planner/context.js";
import { type PreparedTask, PrepareError, prepareTask } from "../planner/prepare.js";
import type { RunInfo, RunState, StepState, Task } from "../planner/state.js";
import type { InnerStepState } from "./state.js";

/**
 * Where an inner step is evaluated. `steps` is the list it belongs to (the job's, or a composite
 * action's), `done` how the steps before it ended, and `inputs` replaces the workflow's inputs inside a
 * composite action (which sees its own).
 */
export interface InnerScope {
  wf: WorkflowSpec;
  info: RunInfo;
  state: RunState;
  task: Task;
  ancestors: Iterable<string>;
  steps: InnerStepSpec[];
  done: InnerStepState[];
  /** The job's run was cancelled or its time ran out: only always()/cancelled() steps still run. */
  cancelled: boolean;
  inputs?: Record<string, unknown>;
  /** The env of the step that uses a composite action, under the composite's own steps' env. */
  env?: Record<string, unknown>;
}

/** An inner step's name: its `name`, else `Run <first line>` or `Use <action>`, as GitHub shows them. */
export function innerStepName(spec: InnerStepSpec, index: number): string {
  if (spec.name) return spec.name;
  if (spec.run !== undefined) return `Run ${spec.run.split("\n").find((l) => l.trim() !== "") ?? ""}`.trim();
  if (spec.uses !== undefined) return `Use ${spec.uses}`;
  return `Step ${index + 1}`;
}

/** The status functions inside a job: the DAG's answers, and the job's own steps so far. */
export function innerStatusFlags(scope: InnerScope): StatusFlags {
  const dag = statusFlags(scope.state, scope.ancestors);
  const failed = scope.done.some((d) => d.result === "failure");
  return {
    success: dag.success && !failed && !scope.cancelled,
    failure: dag.failure || failed,
    cancelled: scope.cancelled || dag.cancelled,
  };
}

/**
 * Whether the step at `index` runs: GitHub's rule, `success() && (if)` unless the condition uses a
 * status function. Throws PrepareError when the condition does not evaluate.
 */
export function innerCondition(scope: InnerScope, index: number): boolean {
  const spec = scope.steps[index] as InnerStepSpec;
  const flags = innerStatusFlags(scope);
  const cond = spec.if;
  if (cond === undefined || typeof cond === "boolean") return flags.success && cond !== false;
  const view = innerView(scope, index);
  try {
    const expr = wholeExpression(cond)?.expr ?? cond;
    if (!expressionFacts(parseExpression(expr)).usesStatusFunction && !flags.success) return false;
    const ctx = stepContext(view.wf, view.info, view.state, view.spec, { ...view.leg, status: flags });
    return truthy(evaluateExpression(expr, ctx));
  } catch (error) {
    throw new PrepareError(`${innerWhere(scope, index)}.if: ${(error as Error).message}`);
  }
}

/** Whether a failure of the step at `index` lets the job go on (its continue_on_error). */
export function innerContinuesOnError(scope: InnerScope, index: number): boolean {
  const spec = scope.steps[index] as InnerStepSpec;
  if (spec.continue_on_error === undefined) return false;
  const view = innerView(scope, index);
  try {
    const ctx = stepContext(view.wf, view.info, view.state, view.spec, view.leg);
    return truthy(evaluateTemplate(spec.continue_on_error, ctx));
  } catch (error) {
    throw new PrepareError(`${innerWhere(scope, index)}.continue_on_error: ${(error as Error).message}`);
  }
}

/**
 * Evaluates the step at `index` into a task for the runner, as prepareTask does for a DAG node: the
 * job's env, shell, working folder and runner apply, and `steps.<id>` also names the job's own steps.
 */
export function prepareInnerStep(scope: InnerScope, index: number, action?: ActionSpec): PreparedTask {
  const view = innerView(scope, index);
  const prepared = prepareTask(view.wf, view.info, view.state, scope.task, scope.ancestors, action);
  // The job's runner holds the workspace for every step: an action's own runner preference is moot.
  const job = prepareTask(
    {
      ...view.wf,
      steps: { ...view.wf.steps, [scope.task.step]: { ...view.spec, uses: undefined, run: "" } },
    },
    view.info,
    view.state,
    scope.task,
    scope.ancestors,
  );
  if (job.runner) prepared.runner = job.runner;
  else delete prepared.runner;
  return prepared;
}

/** The values of a job's `outputs:` map (or a composite action's outputs), over its steps' results. */
export function innerOutputs(scope: InnerScope, outputs: Record<string, unknown>): Record<string, unknown> {
  const view = innerView(scope, scope.steps.length);
  const ctx = stepContext(view.wf, view.info, view.state, view.spec, view.leg);
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(outputs)) {
    try {
      values[name] = evaluateTemplate(value, ctx);
    } catch (error) {
      throw new PrepareError(`steps.${scope.task.step}.outputs.${name}: ${(error as Error).message}`);
    }
  }
  return values;
}

/** How a job ends from how its steps ended. */
export function jobStatus(
  done: InnerStepState[],
  cancelled: boolean,
): "succeeded" | "failed" | "timed_out" | "cancelled" {
  const failing = done.filter((d) => d.result === "failure");
  if (failing.length > 0) return failing.every((d) => d.status === "timed_out") ? "timed_out" : "failed";
  if (cancelled || done.some((d) => d.status === "cancelled")) return "cancelled";
  return "succeeded";
}

function innerWhere(scope: InnerScope, index: number): string {
  return `steps.${scope.task.step}.steps[${index}]`;
}

/**
 * The workflow, run facts and state as the step at `index` sees them: its job's node replaced by the
 * step (with the job's env, shell, working folder and runner under its own), and the steps before it
 * that have an id added to `steps`.
 */
function innerView(
  scope: InnerScope,
  index: number,
): {
  wf: WorkflowSpec;
  info: RunInfo;
  state: RunState;
  spec: StepSpec;
  leg: { item?: unknown; matrix?: unknown };
} {
  const job = scope.wf.steps[scope.task.step] as StepSpec;
  const inner: InnerStepSpec = scope.steps[index] ?? {};
  const env = { ...(job.env ?? {}), ...(scope.env ?? {}), ...(inner.env ?? {}) };
  const spec: StepSpec = {
    name: innerStepName(inner, index),
    ...(inner.uses !== undefined ? { uses: inner.uses } : { run: inner.run ?? "" }),
    ...(inner.with !== undefined ? { with: inner.with } : {}),
    ...(Object.keys(env).length > 0 ? { env } : {}),
    ...((inner.shell ?? job.shell) !== undefined ? { shell: inner.shell ?? job.shell } : {}),
    ...(inner.timeout !== undefined ? { timeout: inner.timeout } : {}),
    ...((inner.working_directory ?? job.working_directory) !== undefined
      ? { working_directory: inner.working_directory ?? job.working_directory }
      : {}),
    ...(job.runner !== undefined ? { runner: job.runner } : {}),
  };
  // The job's timeout is the whole job's: an inner step has none unless it says so.
  const { timeout: _timeout, ...defaults } = scope.wf.defaults ?? {};
  const wf: WorkflowSpec = { ...scope.wf, defaults, steps: { ...scope.wf.steps, [scope.task.step]: spec } };
  const steps: Record<string, StepState> = { ...scope.state.steps };
  for (const d of scope.done) {
    if (d.id === undefined) continue;
    steps[d.id] = {
      status: d.status,
      result: d.result,
      outcome: d.outcome,
      fanOut: false,
      items: [],
      outputs: d.outputs,
    };
  }
  const stepState = scope.state.steps[scope.task.step];
  const item = stepState?.items[scope.task.index]?.item;
  const info = scope.inputs ? { ...scope.info, inputs: scope.inputs } : scope.info;
  return {
    wf,
    info,
    state: { ...scope.state, steps },
    spec,
    leg: stepState?.matrix ? { matrix: item } : { item },
  };
}

/** The inputs a job's step gives a composite action: its `with`, evaluated, with the action's types. */
export function compositeInputs(
  scope: InnerScope,
  index: number,
  action: ActionSpec,
): Record<string, unknown> {
  const view = innerView(scope, index);
  const where = innerWhere(scope, index);
  let values: Record<string, unknown>;
  try {
    const ctx = stepContext(view.wf, view.info, view.state, view.spec, view.leg);
    values = (evaluateTemplate(view.spec.with ?? {}, ctx) ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new PrepareError(`${where}.with: ${(error as Error).message}`);
  }
  const coerced = coerceInputs(action.inputs, values);
  if (coerced.errors.length > 0)
    throw new PrepareError(`${where}.with: ${coerced.errors.map((e) => e.message).join("; ")}`);
  return coerced.values;
}

/** The env a job's step passes on to a composite action's steps (the job's and its own, evaluated). */
export function innerEnv(scope: InnerScope, index: number): Record<string, unknown> {
  const view = innerView(scope, index);
  const ctx = stepContext(view.wf, view.info, view.state, view.spec, view.leg);
  return ctx.contexts.env as Record<string, unknown>;
}

/** A docker job's service containers with their expressions evaluated (`image: postgres:${{ matrix.pg }}`). */
export function jobServices(scope: InnerScope): Record<string, ServiceSpec> {
  const job = scope.wf.steps[scope.task.step] as StepSpec;
  if (!job.services) return {};
  const view = innerView(scope, 0);
  try {
    const ctx = stepContext(view.wf, view.info, view.state, job, view.leg);
    return evaluateTemplate(job.services, ctx) as Record<string, ServiceSpec>;
  } catch (error) {
    throw new PrepareError(`steps.${scope.task.step}.services: ${(error as Error).message}`);
  }
}
