import {
  type ActionSpec,
  compositeInputs,
  type InnerScope,
  type InnerStepSpec,
  type InnerStepState,
  innerActionKey,
  innerCondition,
  innerContinuesOnError,
  innerEnv,
  innerOutputs,
  innerStepName,
  jobServices,
  jobStatus,
  type PreparedTask,
  PrepareError,
  parseDuration,
  prepareInnerStep,
  prepareTask,
  type RunInfo,
  type RunState,
  type ServiceSpec,
  type StepSpec,
  type Task,
  type TaskOutcome,
  type WorkflowSpec,
} from "@gantry/core";
import type { JobFiles } from "../artifacts/job-files.js";
import type { JobSession, RunnerLike, RunnerResult, RunnerTask, Stream } from "../runners/types.js";
import { withHashFiles } from "./hash-files.js";
import { JobStepFiles } from "./job-step-files.js";
import { SECTION_PREFIX, sectionLine } from "./sections.js";

export interface JobExecution {
  workflow: WorkflowSpec;
  info: RunInfo;
  state: RunState;
  task: Task;
  ancestors: Iterable<string>;
  /** The action of a job's step (by innerActionKey) and the folder that holds its files. */
  action(key: string): Promise<{ spec: ActionSpec; dir: string } | undefined>;
  /** Resolves a prepared step's secret references (and registers them for masking). */
  resolve(task: PreparedTask): Promise<PreparedTask>;
  runner: RunnerLike;
  runId: string;
  signal: AbortSignal;
  /** Each line the job prints, masked by the caller; section lines mark where each step starts. */
  onLine(stream: Stream, line: string): void;
  flow?: RunnerTask["flow"];
  workerId?: string;
  /** The artifacts and caches of the job's workspace-action steps; without it those steps fail, saying so. */
  files?: JobFiles;
}

/** A job's outcome, with the summary its steps wrote (not masked or bounded yet: the caller does that). */
export type JobOutcome = TaskOutcome & { summary?: string };

/**
 * Runs a job (a node with `steps:`): sets its runner up once (one workspace, one container, its
 * services), runs the steps in order as their `if`s say, and ends with the job's outcome, each step's
 * own result in `steps` and the job's `outputs:` evaluated. A cancel or the job's timeout stops the
 * running step; steps that ask for always() or cancelled() still run, as clean-up does in GitHub.
 */
export async function executeJob(x: JobExecution): Promise<JobOutcome> {
  const startedAt = Date.now();
  const job = x.workflow.steps[x.task.step] as StepSpec;
  const base = {
    wf: x.workflow,
    info: x.info,
    state: x.state,
    task: x.task,
    ancestors: [...x.ancestors],
  };
  let stop: { why: "timed_out" | "cancelled"; message: string } | undefined;
  let current: AbortController | undefined;
  const halt = (why: "timed_out" | "cancelled", message: string) => {
    stop ??= { why, message };
    current?.abort();
  };
  const onAbort = () => halt("cancelled", "cancelled");
  x.signal.addEventListener("abort", onAbort, { once: true });
  if (x.signal.aborted) onAbort();
  const timeout = job.timeout ?? x.workflow.defaults?.timeout;
  const timer =
    timeout !== undefined
      ? setTimeout(() => halt("timed_out", `the job timed out after ${timeout}`), parseDuration(timeout))
      : undefined;
  let session: JobSession | undefined;
  let files: JobStepFiles | undefined;
  try {
    const jobTask = prepareTask(
      { ...x.workflow, steps: { ...x.workflow.steps, [x.task.step]: { ...job, steps: undefined, run: "" } } },
      x.info,
      x.state,
      x.task,
      base.ancestors,
    );
    // The runner's and the services' secret references (a registry password, a database's) resolve
    // here, and their values are masked, as a step's are.
    const withServices = await x.resolve({
      ...jobTask,
      inputs: { services: jobServices({ ...base, steps: job.steps ?? [], done: [], cancelled: false }) },
    });
    const services = withServices.inputs.services as Record<string, ServiceSpec>;
    if (!x.runner.openJob) throw new Error("this runner cannot run a job of steps");
    session = await x.runner.openJob({
      task: { ...withServices, inputs: jobTask.inputs },
      runId: x.runId,
      services,
      signal: x.signal,
      onLine: x.onLine,
      ...(x.workerId ? { workerId: x.workerId } : {}),
    });
    const run = (task: RunnerTask) => (session as JobSession).run(task);
    files = new JobStepFiles(x.files, session.workspace, withServices.runner?.type ?? "local");
    const done: InnerStepState[] = [];
    const steps = job.steps ?? [];
    for (let index = 0; index < steps.length; index++) {
      const scope: InnerScope = { ...base, steps, done, cancelled: stop !== undefined };
      const spec = steps[index] as InnerStepSpec;
      const state = await runStep(x, scope, index, {
        run,
        section: true,
        // A clean-up step that runs after a stop (always(), cancelled()) gets a signal of its own.
        abort: () => {
          current = new AbortController();
          return current.signal;
        },
        stopped: () => stop,
        files,
        place: String(index),
      });
      done.push(state.id === undefined && spec.id !== undefined ? { ...state, id: spec.id } : state);
    }
    const status = stop?.why === "timed_out" ? "timed_out" : jobStatus(done, stop !== undefined);
    await files.end(status === "succeeded", (line) => x.onLine("stderr", line));
    const finishedAt = Date.now();
    let outputs: Record<string, unknown> = {};
    let error: string | undefined;
    try {
      outputs = innerOutputs({ ...base, steps, done, cancelled: false }, job.outputs ?? {});
    } catch (e) {
      error = (e as Error).message;
    }
    const failed = done.find((d) => d.result === "failure");
    error ??=
      stop?.message ??
      (failed
        ? `step '${failed.name}' ${failed.status === "timed_out" ? "timed out" : "failed"}${failed.error ? `: ${failed.error}` : ""}`
        : undefined);
    const last = [...done].reverse().find((d) => d.exitCode !== undefined);
    const summary = files.jobSummary();
    return {
      ...(summary !== undefined ? { summary } : {}),
      status: error && status === "succeeded" ? "failed" : status,
      exitCode: last?.exitCode ?? null,
      outputs,
      steps: done,
      startedAt,
      finishedAt,
      ...(error ? { error } : {}),
    };
  } catch (error) {
    const summary = files?.jobSummary();
    return {
      ...(summary !== undefined ? { summary } : {}),
      status: stop?.why ?? "failed",
      exitCode: null,
      error: `steps.${x.task.step}: ${(error as Error).message}`,
      retryable: !(error instanceof PrepareError),
      startedAt,
      finishedAt: Date.now(),
    };
  } finally {
    if (timer) clearTimeout(timer);
    x.signal.removeEventListener("abort", onAbort);
    // A job that failed before its end leaves no cache saved, only the scratch folder to remove.
    await files?.end(false, (line) => x.onLine("stderr", line));
    await session
      ?.close()
      .catch((e: Error) => x.onLine("stderr", `gantry: cleaning up the job: ${e.message}`));
  }
}

interface StepControl {
  run(task: RunnerTask): Promise<RunnerResult>;
  /** Whether the step opens a log section (a job's step does; a composite action's steps share its). */
  section: boolean;
  abort(): AbortSignal;
  stopped(): { why: "timed_out" | "cancelled" } | undefined;
  /** Artifacts, caches and summaries of the job's steps. */
  files: JobStepFiles;
  /** The step's place in the job (see JobFileStep.place); a composite's steps add theirs. */
  place: string;
}

/** Runs one step of a job (or of a composite action) and says how it ended. */
async function runStep(
  x: JobExecution,
  scope: InnerScope,
  index: number,
  control: StepControl,
): Promise<InnerStepState> {
  const spec = scope.steps[index] as InnerStepSpec;
  const name = innerStepName(spec, index);
  const id = spec.id !== undefined ? { id: spec.id } : {};
  const skipped = (): InnerStepState => ({
    ...id,
    name,
    status: "skipped",
    result: "skipped",
    outcome: "skipped",
    outputs: {},
  });
  let continueOnError = false;
  const startedAt = Date.now();
  // hashFiles() reads the workspace as it is now, before the step runs (GitHub's semantics).
  const hashed = <T>(evaluate: (scope: InnerScope) => T): Promise<T> =>
    withHashFiles(control.files.workspace, control.files.runnerType, (hashFiles) =>
      evaluate({ ...scope, hashFiles }),
    );
  const failed = (error: string): InnerStepState => ({
    ...id,
    name,
    status: "failed",
    result: continueOnError ? "success" : "failure",
    outcome: "failure",
    outputs: {},
    exitCode: null,
    error,
    startedAt,
    finishedAt: Date.now(),
  });
  try {
    if (!(await hashed((s) => innerCondition(s, index)))) return skipped();
    continueOnError = await hashed((s) => innerContinuesOnError(s, index));
  } catch (error) {
    if (control.section) x.onLine("stdout", sectionLine(index, name));
    x.onLine("stderr", `gantry: ${(error as Error).message}`);
    return failed((error as Error).message);
  }
  if (control.section) x.onLine("stdout", sectionLine(index, name));
  const onLine = (stream: Stream, line: string) =>
    x.onLine(stream, line.startsWith(SECTION_PREFIX) ? ` ${line}` : line);
  try {
    const action =
      scope.inputs === undefined ? await x.action(innerActionKey(x.task.step, index)) : undefined;
    if (action?.spec.runs.using === "composite") {
      return await runComposite(x, scope, index, action.spec, control, hashed, {
        ...id,
        name,
        continueOnError,
        onLine,
      });
    }
    if (action?.spec.runs.using === "container")
      throw new PrepareError("a container action cannot be a step of a job; make it a step of the workflow");
    const prepared = await x.resolve(await hashed((s) => prepareInnerStep(s, index, action?.spec)));
    const result = await control.files.around(
      { uses: spec.uses, place: control.place, inputs: prepared.inputs },
      (line) => onLine("stdout", line),
      () =>
        control.run({
          task: prepared,
          runId: x.runId,
          ...(action ? { actionDir: action.dir } : {}),
          signal: control.abort(),
          onLine,
          ...(x.flow ? { flow: x.flow } : {}),
          ...(x.workerId ? { workerId: x.workerId } : {}),
        }),
    );
    control.files.summary(result.summary);
    const stopped = control.stopped();
    const status =
      result.status === "cancelled" && stopped?.why === "timed_out" ? "timed_out" : result.status;
    const ok = status === "succeeded";
    if (!ok && result.error) x.onLine("stderr", `gantry: ${result.error}`);
    return {
      ...id,
      name,
      status,
      outcome: ok ? "success" : status === "cancelled" ? "cancelled" : "failure",
      result: ok || continueOnError ? "success" : status === "cancelled" ? "cancelled" : "failure",
      outputs: result.outputs,
      exitCode: result.exitCode,
      ...(result.error ? { error: result.error } : {}),
      startedAt: result.startedAt,
      finishedAt: result.finishedAt,
    };
  } catch (error) {
    x.onLine("stderr", `gantry: ${(error as Error).message}`);
    return failed((error as Error).message);
  }
}

/** A composite action: its steps run in the job's workspace, reading the action's inputs. */
async function runComposite(
  x: JobExecution,
  scope: InnerScope,
  index: number,
  action: ActionSpec,
  control: StepControl,
  hashed: <T>(evaluate: (scope: InnerScope) => T) => Promise<T>,
  step: {
    id?: string;
    name: string;
    continueOnError: boolean;
    onLine: (stream: Stream, line: string) => void;
  },
): Promise<InnerStepState> {
  const startedAt = Date.now();
  const inner: InnerScope = {
    ...scope,
    steps: action.runs.steps ?? [],
    done: [],
    inputs: await hashed((s) => compositeInputs(s, index, action)),
    env: await hashed((s) => innerEnv(s, index)),
  };
  const child = { ...x, onLine: step.onLine };
  for (let i = 0; i < inner.steps.length; i++) {
    inner.cancelled = control.stopped() !== undefined;
    inner.done.push(
      await runStep(child, { ...inner }, i, { ...control, section: false, place: `${control.place}.${i}` }),
    );
  }
  const status = jobStatus(inner.done, control.stopped() !== undefined);
  const values = Object.fromEntries(
    Object.entries(action.outputs ?? {}).flatMap(([name, o]) =>
      o?.value !== undefined ? [[name, o.value]] : [],
    ),
  );
  const outputs = innerOutputs({ ...inner, cancelled: false }, values);
  const ok = status === "succeeded";
  const failing = inner.done.find((d) => d.result === "failure");
  return {
    ...(step.id !== undefined ? { id: step.id } : {}),
    name: step.name,
    status,
    outcome: ok ? "success" : status === "cancelled" ? "cancelled" : "failure",
    result: ok || step.continueOnError ? "success" : status === "cancelled" ? "cancelled" : "failure",
    outputs,
    ...(failing?.error ? { error: failing.error } : {}),
    startedAt,
    finishedAt: Date.now(),
  };
}
