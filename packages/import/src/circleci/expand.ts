import { isRecord, type SourcePath } from "../source/yaml-source.js";

type Obj = Record<string, unknown>;

/**
 * CircleCI 2.1 resolves its configuration before anything runs: reusable commands are inlined, job and
 * command parameters are substituted as text (`<< parameters.x >>`), `steps` parameters are spliced in,
 * and `when`/`unless` steps whose condition is known are kept or dropped. This does the same, keeping
 * where each step came from, so a job can be converted from what CircleCI would have run.
 */

export interface ExpandedStep {
  /** The step's type: checkout, run, save_cache, …, a command of an orb (`alias/command`), or unknown. */
  type: string;
  /** Its configuration after substitution (a run step's string form becomes {command}). */
  config: Obj;
  /** Where it was written: in the job, or in the command it came from. */
  path: SourcePath;
}

export interface ExpandedJob {
  steps: ExpandedStep[];
  /** The job definition with its parameters substituted. */
  job: Obj;
  executor: Executor;
  /** Orb commands, executors and jobs used, and `when` conditions left to pipeline parameters. */
  orbUses: string[];
  pipelineConditions: string[];
  parameterNames: string[];
}

export interface Executor {
  kind: "docker" | "machine" | "macos" | "windows" | "orb" | "none";
  images: Obj[];
  env: Obj;
  shell?: string;
  resourceClass?: string;
  workingDirectory?: string;
  /** The executor's name (for the report), or the orb's. */
  name?: string;
}

export interface Config {
  orbs: Obj;
  commands: Obj;
  executors: Obj;
  jobs: Obj;
}

const MAX_DEPTH = 20;
const PARAMETER = /<<\s*parameters\.([A-Za-z0-9_-]+)\s*>>/g;
const WHOLE_PARAMETER = /^<<\s*parameters\.([A-Za-z0-9_-]+)\s*>>$/;

/** Expands job `name` of the config with the arguments a workflow gives it. */
export function expandJob(config: Config, name: string, args: Obj): ExpandedJob {
  const definition = config.jobs[name];
  const job = isRecord(definition) ? definition : {};
  const params = parameterValues(job.parameters, args);
  const substituted = substitute(job, params) as Obj;
  const out: ExpandedJob = {
    steps: [],
    job: substituted,
    executor: resolveExecutor(config, substituted),
    orbUses: [],
    pipelineConditions: [],
    parameterNames: Object.keys(isRecord(job.parameters) ? job.parameters : {}),
  };
  const steps = Array.isArray(job.steps) ? job.steps : [];
  const pre = Array.isArray(args["pre-steps"]) ? args["pre-steps"] : [];
  const post = Array.isArray(args["post-steps"]) ? args["post-steps"] : [];
  expandSteps(config, pre, {}, ["workflows"], out, 0);
  expandSteps(config, steps, params, ["jobs", name, "steps"], out, 0);
  expandSteps(config, post, {}, ["workflows"], out, 0);
  if (out.executor.kind === "orb" && out.executor.name) out.orbUses.push(out.executor.name);
  return out;
}

function expandSteps(
  config: Config,
  steps: unknown[],
  params: Obj,
  path: SourcePath,
  out: ExpandedJob,
  depth: number,
): void {
  if (depth > MAX_DEPTH) {
    out.steps.push({ type: "unknown", config: { reason: "commands nested deeper than 20" }, path });
    return;
  }
  steps.forEach((raw, index) => {
    const here = [...path, index];
    const step = substitute(raw, params);
    if (typeof step === "string") {
      if (step === "checkout" || step === "setup_remote_docker" || step === "add_ssh_keys") {
        out.steps.push({ type: step, config: {}, path: here });
      } else if (isRecord(config.commands[step])) {
        expandCommand(config, step, {}, out, depth);
      } else {
        pushOther(config, step, {}, here, out);
      }
      return;
    }
    if (!isRecord(step)) return;
    const [type, value] = Object.entries(step)[0] ?? ["", undefined];
    if (type === "steps") {
      // A `steps` parameter spliced in, already substituted.
      if (Array.isArray(value)) expandSteps(config, value, {}, here, out, depth + 1);
      return;
    }
    if (type === "when" || type === "unless") {
      const body = isRecord(value) ? value : {};
      const known = evaluateCondition(body.condition);
      if (known === undefined) {
        out.pipelineConditions.push(JSON.stringify(body.condition));
        return;
      }
      if ((type === "when") === known && Array.isArray(body.steps))
        expandSteps(config, body.steps, {}, [...here, type, "steps"], out, depth + 1);
      return;
    }
    if (type === "run") {
      out.steps.push({
        type,
        config: typeof value === "string" ? { command: value } : isRecord(value) ? value : {},
        path: here,
      });
      return;
    }
    if (isRecord(config.commands[type])) {
      expandCommand(config, type, isRecord(value) ? value : {}, out, depth);
      return;
    }
    pushOther(config, type, isRecord(value) ? value : {}, here, out);
  });
}

function expandCommand(config: Config, name: string, args: Obj, out: ExpandedJob, depth: number): void {
  const command = config.commands[name] as Obj;
  const params = parameterValues(command.parameters, args);
  expandSteps(
    config,
    Array.isArray(command.steps) ? command.steps : [],
    params,
    ["commands", name, "steps"],
    out,
    depth + 1,
  );
}

const BUILT_IN = new Set([
  "checkout",
  "run",
  "save_cache",
  "restore_cache",
  "persist_to_workspace",
  "attach_workspace",
  "store_artifacts",
  "store_test_results",
  "setup_remote_docker",
  "add_ssh_keys",
]);

function pushOther(config: Config, type: string, value: Obj, path: SourcePath, out: ExpandedJob): void {
  const alias = type.includes("/") ? type.split("/")[0] : undefined;
  if (alias && config.orbs[alias] !== undefined) {
    out.orbUses.push(type);
    out.steps.push({ type: "orb", config: { command: type, ...value }, path });
    return;
  }
  out.steps.push({
    type: BUILT_IN.has(type) ? type : "unknown",
    config: BUILT_IN.has(type) ? value : { step: type },
    path,
  });
}

/** The values of declared parameters: the given ones, else their defaults. */
function parameterValues(declared: unknown, args: Obj): Obj {
  const values: Obj = {};
  if (isRecord(declared)) {
    for (const [name, spec] of Object.entries(declared)) {
      if (args[name] !== undefined) values[name] = args[name];
      else if (isRecord(spec) && spec.default !== undefined) values[name] = spec.default;
    }
  }
  for (const [name, value] of Object.entries(args)) if (values[name] === undefined) values[name] = value;
  return values;
}

/** `<< parameters.x >>` replaced everywhere; a string that is only the reference takes the value's type. */
export function substitute(value: unknown, params: Obj): unknown {
  if (typeof value === "string") {
    const whole = WHOLE_PARAMETER.exec(value.trim());
    if (whole && (whole[1] as string) in params) return params[whole[1] as string];
    return value.replace(PARAMETER, (all, name: string) => (name in params ? text(params[name]) : all));
  }
  if (Array.isArray(value)) {
    // A `steps` parameter used as one item of a list of steps splices its steps in.
    return value.flatMap((item) => {
      if (isRecord(item) && Object.keys(item).length === 1 && typeof item.steps === "string") {
        const m = WHOLE_PARAMETER.exec(item.steps.trim());
        if (m && Array.isArray(params[m[1] as string])) return params[m[1] as string] as unknown[];
      }
      return [substitute(item, params)];
    });
  }
  if (isRecord(value)) {
    const out: Obj = {};
    for (const [key, v] of Object.entries(value)) out[key] = substitute(v, params);
    return out;
  }
  return value;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** CircleCI's logic statements, when every value is known; undefined when a pipeline value decides. */
export function evaluateCondition(condition: unknown): boolean | undefined {
  if (typeof condition === "string") {
    if (condition.includes("<<")) return undefined;
    return condition !== "" && condition !== "false" && condition !== "0";
  }
  if (typeof condition === "boolean") return condition;
  if (typeof condition === "number") return condition !== 0;
  if (condition === null || condition === undefined) return false;
  if (!isRecord(condition)) return true;
  const [op, arg] = Object.entries(condition)[0] ?? [];
  const list = Array.isArray(arg) ? arg : [];
  switch (op) {
    case "and": {
      const values = list.map(evaluateCondition);
      if (values.includes(false)) return false;
      return values.includes(undefined) ? undefined : true;
    }
    case "or": {
      const values = list.map(evaluateCondition);
      if (values.includes(true)) return true;
      return values.includes(undefined) ? undefined : false;
    }
    case "not": {
      const value = evaluateCondition(arg);
      return value === undefined ? undefined : !value;
    }
    case "equal":
      if (list.some((v) => typeof v === "string" && v.includes("<<"))) return undefined;
      return list.every((v) => JSON.stringify(v) === JSON.stringify(list[0]));
    default:
      return undefined;
  }
}

function resolveExecutor(config: Config, job: Obj): Executor {
  let source: Obj = job;
  let name: string | undefined;
  if (job.executor !== undefined) {
    const ref = job.executor;
    name = typeof ref === "string" ? ref : isRecord(ref) ? String(ref.name) : undefined;
    const args = isRecord(ref) ? Object.fromEntries(Object.entries(ref).filter(([k]) => k !== "name")) : {};
    const definition = name ? config.executors[name] : undefined;
    if (!isRecord(definition)) {
      return { kind: name?.includes("/") ? "orb" : "none", images: [], env: {}, ...(name ? { name } : {}) };
    }
    source = substitute(definition, parameterValues(definition.parameters, args)) as Obj;
  }
  const base = {
    env: { ...(isRecord(source.environment) ? source.environment : {}) },
    ...(typeof (job.shell ?? source.shell) === "string" ? { shell: String(job.shell ?? source.shell) } : {}),
    ...(typeof (job.resource_class ?? source.resource_class) === "string"
      ? { resourceClass: String(job.resource_class ?? source.resource_class) }
      : {}),
    ...(typeof (job.working_directory ?? source.working_directory) === "string"
      ? { workingDirectory: String(job.working_directory ?? source.working_directory) }
      : {}),
    ...(name ? { name } : {}),
  };
  if (Array.isArray(source.docker))
    return { kind: "docker", images: source.docker.filter(isRecord), ...base };
  // CircleCI's Windows and macOS machines are machine executors with such a resource class.
  const resourceClass = base.resourceClass ?? "";
  if (source.machine !== undefined && /^windows\./.test(resourceClass))
    return { kind: "windows", images: [], ...base };
  if (source.machine !== undefined) return { kind: "machine", images: [], ...base };
  if (source.macos !== undefined) return { kind: "macos", images: [], ...base };
  if (source.windows !== undefined) return { kind: "windows", images: [], ...base };
  return { kind: "none", images: [], ...base };
}
