import { existsSync } from "node:fs";
import path from "node:path";
import {
  coerceInputs,
  evaluateTemplate,
  type PreparedTask,
  parseDuration,
  type RunInfo,
  type RunState,
  stepContext,
  subWorkflowName,
  type Task,
  type TaskOutcome,
} from "@gantry/core";
import { findWorkflowFiles } from "../loader/find-files.js";
import { type LoadedWorkflow, loadWorkflow } from "../loader/load-workflow.js";
import type { Stream } from "../runners/types.js";
import type { ResolveOptions } from "../secrets/index.js";
import { MAX_SUB_WORKFLOW_DEPTH } from "../subworkflow/limits.js";
import type { RunEvent } from "./events.js";
import type { RunOptions } from "./run-options.js";
import { resolveWorkflowSecrets } from "./task-secrets.js";

/** What a sub-workflow step needs from the run that calls it, under `gantry run`. */
export interface LocalCall {
  parent: LoadedWorkflow;
  options: RunOptions;
  state: RunState;
  task: Task;
  signal: AbortSignal;
  secretOptions: ResolveOptions;
  /** A line of the calling step's log: the child's lines come here, indented under its step names. */
  onLine: (stream: Stream, line: string) => void;
  /** Runs a workflow (runWorkflow, passed in so this file and it do not import each other). */
  run: (loaded: LoadedWorkflow, options: RunOptions) => Promise<{ state: RunState }>;
}

/**
 * Runs a sub-workflow step's child in this process, as `gantry run` has no server to start a child
 * run: `workflow:<name>` is a workflow of the caller's folder (its file `<name>.yaml`, else the file
 * whose `name:` it is), a library workflow the one the loader loaded with the library. Its inputs come
 * from `with:`, its secrets only as `secrets:` passes them (inherit or a map), its time from the step's
 * timeout, and its outputs become the step's; its log is the step's, each line under the child's step.
 */
export async function runLocalChild(call: LocalCall): Promise<TaskOutcome> {
  const { parent, options, state, task } = call;
  const spec = parent.workflow.steps[task.step];
  const startedAt = Date.now();
  const fail = (error: string): TaskOutcome => ({
    status: "failed",
    exitCode: null,
    error,
    retryable: false,
    startedAt,
    finishedAt: Date.now(),
  });
  const depth = Number((options.info.trigger as { depth?: number }).depth ?? 0) + 1;
  const label = spec?.uses ?? "";
  if (depth > MAX_SUB_WORKFLOW_DEPTH)
    return fail(
      `sub-workflow '${label}' not started: runs nest at most ${MAX_SUB_WORKFLOW_DEPTH} deep (this would be ${depth})`,
    );
  const child =
    parent.calls?.[task.step]?.loaded ?? (await sameFolderWorkflow(parent, subWorkflowName(label)));
  if ("error" in child) return fail(child.error);
  let inputs: Record<string, unknown>;
  let secrets: Record<string, string>;
  try {
    const item = state.steps[task.step]?.items[task.index]?.item;
    const context = stepContext(
      parent.workflow,
      options.info,
      state,
      spec,
      item !== undefined ? { item } : {},
    );
    const given = (evaluateTemplate(spec?.with ?? {}, context) ?? {}) as Record<string, unknown>;
    const coerced = coerceInputs(child.workflow.inputs, given);
    if (coerced.errors.length > 0)
      return fail(`sub-workflow '${label}': ${coerced.errors.map((e) => e.message).join("; ")}`);
    inputs = coerced.values;
    const passed = passedSecrets(spec?.secrets, options.info.secrets ?? {});
    const own = {
      ...child.workflow,
      secrets: Object.fromEntries(
        Object.entries(child.workflow.secrets ?? {}).filter(([n]) => !(n in passed)),
      ),
    };
    secrets = {
      ...(await resolveWorkflowSecrets(own, { ...call.secretOptions, baseDir: child.root })),
      ...passed,
    };
  } catch (error) {
    return fail(`sub-workflow '${label}': ${(error as Error).message}`);
  }
  // The step's timeout bounds the child: past it, the child is cancelled and the step timed out.
  const abort = new AbortController();
  const stop = () => abort.abort();
  call.signal.addEventListener("abort", stop, { once: true });
  const timeout = spec?.timeout ?? parent.workflow.defaults?.timeout;
  let timedOut = false;
  const timer =
    timeout !== undefined
      ? setTimeout(() => {
          timedOut = true;
          call.onLine("stderr", `sub-workflow timed out after ${timeout}: cancelling it`);
          abort.abort();
        }, parseDuration(timeout))
      : undefined;
  const info: RunInfo = {
    id: `${options.info.id}.${task.step}${task.index > 0 ? `.${task.index}` : ""}`,
    workflow: child.workflow.name ?? label,
    attempt: 1,
    trigger: {
      type: "workflow_call",
      parent_run: options.info.id,
      parent_workflow: options.info.workflow,
      parent_step: task.step,
      parent_index: task.index,
      parent_attempt: task.attempt,
      depth,
    },
    inputs,
    secrets,
  };
  call.onLine("stdout", `▶ sub-workflow ${info.workflow} (run ${info.id})`);
  try {
    const { state: ended } = await call.run(child, {
      ...options,
      info,
      signal: abort.signal,
      secrets: { ...options.secrets, baseDir: child.root },
      onEvent: (event) => forward(event, call.onLine),
    });
    const status = timedOut ? "timed_out" : ended.status === "running" ? "failed" : ended.status;
    const failed = Object.entries(ended.steps).find(([, s]) => s.result === "failure");
    const why =
      ended.error ?? failed?.[1].error ?? failed?.[1].items.find((i) => i.error !== undefined)?.error;
    return {
      status,
      exitCode: null,
      outputs: ended.outputs,
      ...(status === "succeeded"
        ? {}
        : {
            error: timedOut
              ? `sub-workflow ${info.workflow} timed out: step '${task.step}' has timeout ${timeout}`
              : `sub-workflow ${info.workflow} ${ended.status}${failed ? ` (step ${failed[0]})` : ""}${why ? `: ${why}` : ""}`,
          }),
      retryable: false,
      startedAt,
      finishedAt: Date.now(),
    };
  } finally {
    if (timer) clearTimeout(timer);
    call.signal.removeEventListener("abort", stop);
  }
}

/** How a sub-workflow step shows in the events: a task with no program of its own. */
export function localChildTask(task: Task, uses: string): PreparedTask {
  return {
    ...task,
    name: `${task.step} (${uses})`,
    program: { kind: "exec", command: [] },
    inputs: {},
    env: {},
    secrets: [],
  };
}

/** The child's events as lines of the calling step, indented under the child's step names. */
function forward(event: RunEvent, onLine: LocalCall["onLine"]): void {
  if (event.type === "line") onLine(event.stream, `  ${event.step} │ ${event.line}`);
  else if (event.type === "task-started") onLine("stdout", `  ${event.task.step} ▶ ${event.task.name}`);
  else if (event.type === "task-finished")
    onLine(
      event.status === "succeeded" ? "stdout" : "stderr",
      `  ${event.task.step} ${event.status}${event.error ? `: ${event.error}` : ""}`,
    );
}

/**
 * Secret values the child gets: none unless `secrets:` lists them; `inherit` passes every one the
 * caller has, a map the named ones under the child's names (`${{ secrets.x }}` or a bare name).
 */
function passedSecrets(
  listed: "inherit" | Record<string, string> | undefined,
  available: Record<string, string>,
): Record<string, string> {
  if (listed === undefined) return {};
  if (listed === "inherit") return { ...available };
  const out: Record<string, string> = {};
  for (const [childName, parentName] of Object.entries(listed)) {
    const name =
      /^\$\{\{\s*secrets\.([A-Za-z_][\w-]*)\s*\}\}$/.exec(parentName.trim())?.[1] ?? parentName.trim();
    const value = available[name];
    if (value === undefined) throw new Error(`secrets.${childName}: this workflow has no secret '${name}'`);
    out[childName] = value;
  }
  return out;
}

/** `workflow:<name>` under `gantry run`: `<name>.yaml` beside the caller, else the file of that `name:`. */
async function sameFolderWorkflow(
  parent: LoadedWorkflow,
  name: string | undefined,
): Promise<LoadedWorkflow | { error: string }> {
  if (name === undefined) return { error: "not a sub-workflow step" };
  const dir = path.dirname(parent.file);
  const direct = [`${name}.yaml`, `${name}.yml`].map((f) => path.join(dir, f)).filter((f) => existsSync(f));
  const others = ((await findWorkflowFiles(dir)) ?? []).filter(
    (f) => !direct.includes(f) && path.resolve(f) !== parent.file,
  );
  for (const file of [...direct, ...others]) {
    const { loaded, problems } = await loadWorkflow(file);
    const found = loaded && (loaded.workflow.name ?? path.basename(file).replace(/\.ya?ml$/, "")) === name;
    if (found) return loaded;
    if (!loaded && direct.includes(file))
      return {
        error: `sub-workflow '${name}': ${file} has problems: ${problems.map((p) => p.message).join("; ")}`,
      };
  }
  return { error: `sub-workflow '${name}': no workflow '${name}' in ${dir}` };
}
