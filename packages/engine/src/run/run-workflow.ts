import {
  ancestorsOf,
  isSubWorkflowUses,
  Masker,
  maskDeep,
  onlyWaiting,
  Planner,
  type PreparedTask,
  type RunState,
  resolveGate,
  type StepStatus,
  type Task,
  type TaskOutcome,
  waitingGates,
} from "@gantry/core";
import type { LoadedWorkflow } from "../loader/load-workflow.js";
import { createSecretCache, type ResolveOptions } from "../secrets/index.js";
import { executeTask } from "./execute-task.js";
import { localChildTask, runLocalChild } from "./local-child-run.js";
import { type RunReport, runReport } from "./report.js";
import type { RunOptions } from "./run-options.js";

export type { RunOptions } from "./run-options.js";

/** A run resolves each reference once; five minutes keeps a long run from using a rotated secret forever. */
const SECRET_CACHE_TTL_MS = 300_000;

/**
 * Drives one run on this machine: asks the planner what is ready, starts it on the runner (at most
 * `parallel` at once), feeds results back, and reports events. The planner decides; this only executes.
 */
export async function runWorkflow(
  loaded: LoadedWorkflow,
  options: RunOptions,
): Promise<{ report: RunReport; state: RunState }> {
  const { runner, info } = options;
  const planner = new Planner(loaded.workflow, info);
  const ancestors = ancestorsOf(loaded.workflow.steps);
  const emit = options.onEvent ?? (() => {});
  const masker = new Masker();
  const secretOptions: ResolveOptions = {
    baseDir: loaded.root,
    cache: createSecretCache(SECRET_CACHE_TTL_MS),
    ...options.secrets,
  };
  for (const secret of Object.values(info.secrets ?? {})) masker.add(secret);
  for (const [name, spec] of Object.entries(loaded.workflow.inputs ?? {})) {
    const value = info.inputs[name];
    if (spec.type === "secret" && typeof value === "string" && value !== "") masker.add(value);
  }

  const ready: Task[] = [];
  const running = new Map<string, { task: Task; abort: AbortController }>();
  const timers = new Set<NodeJS.Timeout>();
  const key = (t: Task) => `${t.step}#${t.index}`;

  const { state, tasks } = planner.start();
  let statuses = snapshot(state);
  let wake: () => void = () => {};

  const reportStatusChanges = () => {
    const now = snapshot(state);
    for (const [step, status] of Object.entries(now)) {
      if (statuses[step] !== status) {
        const error = state.steps[step]?.error;
        emit({ type: "step-status", step, status, ...(error ? { error } : {}), at: Date.now() });
      }
    }
    statuses = now;
  };
  const schedule = (next: Task[]) => {
    for (const task of next) {
      if (task.delayMs <= 0) ready.push(task);
      else {
        const timer = setTimeout(() => {
          timers.delete(timer);
          ready.push(task);
          wake();
        }, task.delayMs);
        timers.add(timer);
      }
    }
    reportStatusChanges();
  };
  const cancel = () => {
    const { kill, tasks: cleanup } = planner.cancel(state);
    for (const t of kill) running.get(key(t))?.abort.abort();
    schedule(cleanup);
    wake();
  };
  options.signal?.addEventListener("abort", cancel, { once: true });
  if (options.signal?.aborted) cancel();
  reportStatusChanges();
  schedule(tasks);

  const execute = async (task: Task, abort: AbortController): Promise<void> => {
    // A sub-workflow step runs its child here, in this process (see local-child-run.ts).
    if (isSubWorkflowUses(loaded.workflow.steps[task.step]?.uses)) {
      const shown = localChildTask(task, loaded.workflow.steps[task.step]?.uses as string);
      emit({ type: "task-started", task: shown, at: Date.now() });
      const outcome = await runLocalChild({
        parent: loaded,
        options,
        state,
        task,
        signal: abort.signal,
        secretOptions,
        onLine: (stream, line) =>
          emit({ type: "line", ...task, stream, line: masker.mask(line), at: Date.now() }),
        run: runWorkflow,
      });
      return settle(task, { ...outcome, outputs: maskDeep(outcome.outputs ?? {}, masker) }, shown);
    }
    const { outcome, prepared } = await executeTask({
      workflow: loaded.workflow,
      info,
      state,
      task,
      ancestors: ancestors.get(task.step) ?? [],
      runId: info.id,
      runner,
      signal: abort.signal,
      masker,
      secrets: secretOptions,
      action: (key) => {
        const action = loaded.actions[key];
        return action ? { spec: action.spec, folder: async () => action.dir } : undefined;
      },
      onStart: (started) => emit({ type: "task-started", task: started, at: Date.now() }),
      onLine: (stream, line) =>
        emit({
          type: "line",
          step: task.step,
          index: task.index,
          attempt: task.attempt,
          stream,
          line,
          at: Date.now(),
        }),
      refuse: {
        files: (name) =>
          `gantry/${name} keeps its files in Gantry's store, which gantry run has none of: run the workflow with gantry up, or a server and a worker`,
      },
    });
    settle(task, outcome, prepared);
  };

  /** Feeds a task's outcome to the planner, reports it and schedules what became ready. */
  const settle = (task: Task, outcome: TaskOutcome, prepared: PreparedTask | undefined): void => {
    running.delete(key(task));
    const next = planner.finish(state, task, outcome);
    const retry = next.find((t) => t.step === task.step && t.index === task.index);
    if (prepared || outcome.error) {
      emit({
        type: "task-finished",
        task: prepared ?? {
          ...task,
          name: task.step,
          program: { kind: "exec", command: [] },
          inputs: {},
          env: {},
          secrets: [],
        },
        status: outcome.status,
        exitCode: outcome.exitCode ?? null,
        ...(outcome.error ? { error: outcome.error } : {}),
        ...(retry ? { retryInMs: retry.delayMs } : {}),
        at: Date.now(),
      });
    }
    schedule(next);
    wake();
  };

  while (state.status === "running" || running.size > 0) {
    while (ready.length > 0 && running.size < options.parallel) {
      const task = ready.shift() as Task;
      if (!planner.claim(state, task, Date.now())) continue;
      const abort = new AbortController();
      running.set(key(task), { task, abort });
      void execute(task, abort);
    }
    if (state.status !== "running" && running.size === 0) break;
    if (running.size === 0 && ready.length === 0 && onlyWaiting(state)) {
      // Nobody can decide here: without a server, a gate is a rejection that says where to run it.
      for (const { step } of waitingGates(state)) {
        const decision = {
          decision: "reject" as const,
          by: "gantry run",
          by_id: "local",
          at: new Date().toISOString(),
          comment: "approvals need a server: start the workflow from gantry up or gantry server",
        };
        schedule(resolveGate(planner, state, step, { decision, now: Date.now() }));
      }
      reportStatusChanges();
      continue;
    }
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
  for (const timer of timers) clearTimeout(timer);
  options.signal?.removeEventListener("abort", cancel);
  reportStatusChanges();
  // Workflow outputs are evaluated with secrets in scope (`outputs: {t: ${{ inputs.token }}}`).
  state.outputs = maskDeep(state.outputs, masker);
  if (state.error !== undefined) state.error = masker.mask(state.error);
  emit({ type: "run-finished", state, at: Date.now() });
  return { report: runReport(info.id, state), state };
}

function snapshot(state: RunState): Record<string, StepStatus> {
  return Object.fromEntries(Object.entries(state.steps).map(([id, s]) => [id, s.status]));
}
