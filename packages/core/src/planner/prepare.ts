import { interpolationString } from "../expressions/data.js";
import { evaluateTemplate, type HashFiles } from "../expressions/evaluate.js";
import { parseDuration } from "../format/duration.js";
import { type ResolvedRunnerSpec, runnerSpecFor } from "../format/runner.js";
import type { ActionSpec, Shell, StepSpec, WorkflowSpec } from "../format/types.js";
import { workingDirectoryProblem } from "../format/working-directory.js";
import { coerceInputs } from "../inputs/coerce.js";
import { nodesChosen } from "../nodes/run-nodes.js";
import { statusFlags, stepContext } from "./context.js";
import type { RunInfo, RunState, Task } from "./state.js";

/** What to execute: an inline script, a script file of an action, or a program. */
export type Program =
  | { kind: "inline"; shell: Shell; script: string }
  | { kind: "file"; shell: Shell; path: string }
  | { kind: "exec"; command: string[] }
  /** A container action: the image (in `runner.image`) runs with these arguments, or its own CMD. */
  | { kind: "container"; command?: string[]; entrypoint?: string[] };

/** A task with every expression evaluated: all a runner needs, and nothing it must evaluate itself. */
export interface PreparedTask extends Task {
  name: string;
  program: Program;
  /** Evaluated `with`, with an action's defaults applied and its types checked. */
  inputs: Record<string, unknown>;
  env: Record<string, string>;
  timeoutMs?: number;
  workingDirectory?: string;
  item?: unknown;
  /** Values the runner must mask in logs: the secret inputs given to this step. */
  secrets: string[];
  /** Where it runs, with expressions evaluated; absent means the local runner with no options. */
  runner?: ResolvedRunnerSpec;
}

export class PrepareError extends Error {}

/**
 * Evaluates a task's step for its item and attempt. `action` is the loaded action for a `uses:` step.
 * Throws PrepareError with a message naming the field when an expression or an input is wrong.
 */
export function prepareTask(
  wf: WorkflowSpec,
  info: RunInfo,
  state: RunState,
  task: Task,
  ancestors: Iterable<string>,
  action?: ActionSpec,
  /** Where the step has a workspace to read (a job's step): hashFiles() answers from it. */
  hashFiles?: HashFiles,
): PreparedTask {
  const spec = wf.steps[task.step] as StepSpec;
  const stepState = state.steps[task.step];
  const item = stepState?.items[task.index]?.item;
  const where = `steps.${task.step}`;
  const legValues = stepState?.matrix ? { matrix: item } : { item };
  const ctx = attempt(where, () =>
    stepContext(wf, info, state, spec, {
      ...legValues,
      status: statusFlags(state, ancestors),
      ...(hashFiles ? { hashFiles } : {}),
    }),
  );
  const withValues = attempt(
    `${where}.with`,
    () => (evaluateTemplate(spec.with ?? {}, ctx) ?? {}) as Record<string, unknown>,
  );
  let inputs = withValues;
  const secrets: string[] = [];
  if (action) {
    const coerced = coerceInputs(action.inputs, withValues);
    if (coerced.errors.length > 0) {
      throw new PrepareError(`${where}.with: ${coerced.errors.map((e) => e.message).join("; ")}`);
    }
    inputs = coerced.values;
    for (const [name, input] of Object.entries(action.inputs ?? {})) {
      if (input.type === "secret" && typeof inputs[name] === "string") secrets.push(inputs[name] as string);
      // An action's `nodes` input gets the nodes themselves; their secret references resolve on the worker.
      if (input.type === "nodes" && typeof inputs[name] === "string") {
        const chosen = nodesChosen(info.nodes, inputs[name] as string);
        if ("error" in chosen) throw new PrepareError(`${where}.with.${name}: ${chosen.error}`);
        inputs[name] = chosen.nodes;
      }
    }
  }
  for (const [name, input] of Object.entries(wf.inputs ?? {})) {
    const value = info.inputs[name];
    if (input.type === "secret" && typeof value === "string" && value !== "") secrets.push(value);
  }
  secrets.push(...Object.values(info.secrets ?? {}).filter((s) => s !== ""));

  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(ctx.contexts.env as Record<string, unknown>)) {
    env[key] = interpolationString(value);
  }
  const timeout = spec.timeout ?? wf.defaults?.timeout;
  const workingDirectory = spec.working_directory ?? wf.defaults?.working_directory;
  let workingDir: string | undefined;
  if (workingDirectory !== undefined) {
    workingDir = String(attempt(`${where}.working_directory`, () => evaluateTemplate(workingDirectory, ctx)));
    const problem = workingDirectoryProblem(workingDir);
    if (problem) throw new PrepareError(`${where}.working_directory: ${problem}`);
  }
  const prepared: PreparedTask = {
    ...task,
    name: spec.name ? String(attempt(`${where}.name`, () => evaluateTemplate(spec.name, ctx))) : task.step,
    program: program(wf, spec, action, ctx, inputs, where),
    inputs,
    env,
    secrets,
    ...(timeout !== undefined ? { timeoutMs: parseDuration(timeout) } : {}),
    ...(workingDir !== undefined ? { workingDirectory: workingDir } : {}),
    ...(state.steps[task.step]?.fanOut ? { item } : {}),
  };
  const runner = runnerSpecFor(wf, task.step, action);
  if (runner.type !== "local" || Object.keys(runner).length > 1) {
    prepared.runner = preparedRunner(runner, ctx, where);
  }
  const planned = runnerSpecFor(wf, task.step);
  if (planned.type === "ssh" || runner.type === "ssh") {
    if (runner.type !== "ssh" || planned.type !== "ssh") {
      throw new PrepareError(
        `${where}: its action runs on runner type ${runner.type}; a step on nodes needs runner type ssh`,
      );
    }
    const node = info.nodes?.records[String(item)];
    if (!node) throw new PrepareError(`${where}: node '${String(item)}' is not among the run's nodes`);
    if (prepared.runner) prepared.runner.node = node;
  }
  if (prepared.program.kind === "container" && runner.type === "local") {
    throw new PrepareError(
      `${where}: a container action runs on runner type docker or kubernetes, not local`,
    );
  }
  return prepared;
}

function program(
  wf: WorkflowSpec,
  spec: StepSpec,
  action: ActionSpec | undefined,
  ctx: ReturnType<typeof stepContext>,
  inputs: Record<string, unknown>,
  where: string,
): Program {
  if (!action) {
    const script = attempt(`${where}.run`, () => interpolationString(evaluateTemplate(spec.run ?? "", ctx)));
    return { kind: "inline", shell: spec.shell ?? wf.defaults?.shell ?? "bash", script };
  }
  const runs = action.runs;
  if (runs.using === "composite") {
    throw new PrepareError(`${where}: a composite action runs as steps of a job (steps: [...])`);
  }
  // An action sees its own inputs, not the calling workflow's.
  const actionCtx = { contexts: { inputs, env: ctx.contexts.env, run: ctx.contexts.run } };
  if (runs.using === "container") {
    const list = (value: string | string[] | undefined, what: string) =>
      value === undefined
        ? undefined
        : (typeof value === "string" ? [value] : value).map((c) =>
            interpolationString(attempt(`${where} (action ${what})`, () => evaluateTemplate(c, actionCtx))),
          );
    const command = list(runs.command, "command");
    const entrypoint = list(runs.entrypoint, "entrypoint");
    return {
      kind: "container",
      ...(command ? { command } : {}),
      ...(entrypoint ? { entrypoint } : {}),
    };
  }
  if (runs.using === "exec") {
    const command = typeof runs.command === "string" ? [runs.command] : (runs.command ?? []);
    return {
      kind: "exec",
      command: command.map((c) =>
        interpolationString(attempt(`${where} (action command)`, () => evaluateTemplate(c, actionCtx))),
      ),
    };
  }
  if (runs.script !== undefined) return { kind: "file", shell: runs.using, path: runs.script };
  const script = attempt(`${where} (action run)`, () =>
    interpolationString(evaluateTemplate(runs.run ?? "", actionCtx)),
  );
  return { kind: "inline", shell: runs.using, script };
}

/** Evaluates the runner's values (`image: node:${{ inputs.node }}`); type and labels stay literal. */
function preparedRunner(
  spec: ResolvedRunnerSpec,
  ctx: ReturnType<typeof stepContext>,
  where: string,
): ResolvedRunnerSpec {
  const { type, labels, ...rest } = spec;
  const evaluated = attempt(`${where}.runner`, () =>
    evaluateTemplate(rest, ctx),
  ) as Partial<ResolvedRunnerSpec>;
  if (evaluated.env) {
    evaluated.env = Object.fromEntries(
      Object.entries(evaluated.env).map(([k, v]) => [k, v === null ? "" : interpolationString(v)]),
    );
  }
  if ((type === "docker" || type === "kubernetes") && typeof evaluated.image !== "string") {
    throw new PrepareError(`${where}.runner: runner type ${type} needs an 'image' (e.g. image: node:20)`);
  }
  return { ...evaluated, type, ...(labels ? { labels } : {}) };
}

function attempt<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new PrepareError(`${where}: ${(error as Error).message}`);
  }
}
