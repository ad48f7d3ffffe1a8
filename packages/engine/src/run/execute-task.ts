import {
  type ActionSpec,
  type Masker,
  maskDeep,
  type PreparedTask,
  PrepareError,
  prepareTask,
  type RunInfo,
  type RunState,
  type Task,
  type TaskOutcome,
  type WorkflowSpec,
} from "@gantry/core";
import type { JobFiles } from "../artifacts/job-files.js";
import { type WorkspaceActionName, workspaceActionOf } from "../artifacts/workspace-actions.js";
import { executeJob } from "../jobs/execute-job.js";
import type { RunnerLike, RunnerResult, RunnerTask, Stream } from "../runners/types.js";
import type { ResolveOptions } from "../secrets/index.js";
import { takeAddMask } from "../secrets/run-masks.js";
import { withinCallDeadline } from "../subworkflow/deadline.js";
import { resolveTaskSecrets } from "./task-secrets.js";
import { secretsWithheld, WITHHELD_NOTICE, withoutSecretRefs } from "./withheld-secrets.js";

/** An action a step uses, and the folder that holds its files (fetched only when the step runs). */
export interface TaskAction {
  spec: ActionSpec;
  folder(): Promise<string>;
}

/**
 * Runs a gantry/<files> step (artifacts, caches) in a workspace the host fills before the step's process
 * and reads after it (worker/run-with-files.ts).
 */
export type FilesStep = (
  name: WorkspaceActionName,
  prepared: PreparedTask,
  runIn: (workspace: string) => Promise<RunnerResult>,
  log: (line: string) => void,
) => Promise<RunnerResult>;

export interface TaskExecution {
  workflow: WorkflowSpec;
  info: RunInfo;
  state: RunState;
  task: Task;
  ancestors: Iterable<string>;
  runId: string;
  runner: RunnerLike;
  signal: AbortSignal;
  /** Learns every secret the step knows and masks with them: the caller's, per step (worker) or per run. */
  masker: Masker;
  /**
   * Told each value the step registers with `::add-mask::` as it is printed, so the caller can keep it
   * with the run at once: steps already running in parallel mask it too.
   */
  onAddMask?: (value: string) => void;
  /** How the step's own references resolve (`ref+vault://…` in its env, with and runner). */
  secrets: ResolveOptions;
  /**
   * The run's `secrets.*` for this step, resolved just before it is prepared, into `info.secrets`;
   * absent when the caller resolved them already. Not called for a run that withholds secrets (a fork's).
   */
  runSecrets?: () => Promise<Record<string, string>>;
  /** The action a step (by its key) or a job's step (by innerActionKey) uses. */
  action(key: string): TaskAction | undefined;
  /** Each line the step prints, masked. */
  onLine(stream: Stream, line: string): void;
  /** The step is prepared and its references are resolved: it starts now. */
  onStart?(prepared: PreparedTask): void;
  /** Steps this host cannot run: the message fails them before they start, with no retry. */
  refuse?: { files?(name: WorkspaceActionName): string };
  /** Runs gantry/<files> steps; without it (and without `refuse.files`) they fail. */
  files?: FilesStep;
  /** The files of a job's gantry/<files> steps (artifacts, caches), made when the task is a job. */
  jobFiles?: () => JobFiles;
  flow?: RunnerTask["flow"];
  workerId?: string;
  now?: () => number;
}

export interface TaskResult {
  outcome: TaskOutcome;
  /** The step as it ran, its references resolved; absent when it failed before it was prepared. */
  prepared?: PreparedTask;
  /** What the step wrote to $GANTRY_STEP_SUMMARY, masked. */
  summary?: string;
  /** The values the step registered with `::add-mask::`, for the caller to keep with the run. */
  masks: string[];
}

/**
 * Runs one task, the same way under `gantry run` and on a worker: prepares it (expressions, inputs),
 * resolves its secrets, runs it on the runner (a job of steps, a gantry/<files> step or a plain step)
 * with every line masked, and turns whatever goes wrong into a failed outcome (retried unless the step
 * itself is wrong: a PrepareError).
 */
export async function executeTask(x: TaskExecution): Promise<TaskResult> {
  const { workflow, info, task, masker } = x;
  const spec = workflow.steps[task.step];
  const now = x.now ?? Date.now;
  let prepared: PreparedTask | undefined;
  const added = new Set<string>();
  try {
    const withheld = secretsWithheld(info.trigger);
    if (x.runSecrets) info.secrets = withheld ? {} : await x.runSecrets();
    const action = x.action(task.step);
    const ancestors = [...x.ancestors];
    // A child run's steps get at most the time left before its call's deadline.
    const evaluated = withinCallDeadline(
      prepareTask(workflow, info, x.state, task, ancestors, action?.spec),
      info,
      now(),
    );
    prepared = evaluated;
    const files = workspaceActionOf(spec?.uses);
    if (files && x.refuse?.files) throw new PrepareError(x.refuse.files(files));
    if (withheld) x.onLine("stderr", WITHHELD_NOTICE);
    prepared = await resolveTaskSecrets(withheld ? withoutSecretRefs(evaluated) : evaluated, x.secrets);
    for (const secret of prepared.secrets) masker.add(secret);
    x.onStart?.(prepared);
    const actionDir = action ? await action.folder() : undefined;
    const onLine = maskedLines(masker, x.onLine, added, x.onAddMask);
    const resolve = async (t: PreparedTask) => {
      const resolved = await resolveTaskSecrets(t, x.secrets);
      for (const secret of resolved.secrets) masker.add(secret);
      return resolved;
    };
    const common = {
      runId: x.runId,
      signal: x.signal,
      onLine,
      ...(x.flow ? { flow: x.flow } : {}),
      ...(x.workerId ? { workerId: x.workerId } : {}),
    };
    let result: TaskOutcome & { summary?: string };
    if (spec?.steps) {
      result = await executeJob({
        workflow,
        info,
        state: x.state,
        task,
        ancestors,
        action: async (key) => {
          const inner = x.action(key);
          return inner ? { spec: inner.spec, dir: await inner.folder() } : undefined;
        },
        resolve,
        runner: x.runner,
        ...(x.jobFiles ? { files: x.jobFiles() } : {}),
        ...common,
      });
    } else {
      const step = prepared;
      const runIn = (workspace?: string) =>
        x.runner.run({
          task: step,
          ...(actionDir ? { actionDir } : {}),
          ...common,
          ...(workspace ? { workspace } : {}),
        });
      if (files && !x.files) throw new Error(`gantry/${files} cannot run here: this host keeps no files`);
      result =
        files && x.files
          ? await x.files(files, step, runIn, (line) => onLine("stdout", line))
          : await runIn();
    }
    const { summary, ...outcome } = result;
    // Every secret of the workflow, not only this step's: outputs and summaries are shown beyond the log's readers.
    for (const secret of Object.values(info.secrets ?? {})) masker.add(secret);
    return {
      outcome: maskedOutcome(outcome, masker),
      prepared,
      ...(summary !== undefined ? { summary: masker.mask(summary) } : {}),
      masks: [...added],
    };
  } catch (error) {
    return {
      outcome: {
        status: "failed",
        exitCode: null,
        error: masker.mask((error as Error).message),
        retryable: !(error instanceof PrepareError),
        finishedAt: now(),
      },
      ...(prepared ? { prepared } : {}),
      masks: [...added],
    };
  }
}

/**
 * The lines a step prints, masked: `::add-mask::VALUE` lines teach the masker a secret (collected in
 * `added`) and are not shown; every other line goes out with each known secret replaced.
 */
export function maskedLines(
  masker: Masker,
  emit: (stream: Stream, line: string) => void,
  added: Set<string> = new Set(),
  onAddMask?: (value: string) => void,
): (stream: Stream, raw: string) => void {
  return (stream, raw) => {
    const before = added.size;
    if (takeAddMask(raw, masker, added)) {
      if (added.size > before) onAddMask?.([...added].at(-1) as string);
      return;
    }
    emit(stream, masker.mask(raw));
  };
}

/**
 * An outcome with every secret the masker knows replaced in its outputs and error, and for a job in each
 * of its steps' outputs and error too.
 */
export function maskedOutcome(outcome: TaskOutcome, masker: Masker): TaskOutcome {
  return {
    ...outcome,
    ...(outcome.outputs ? { outputs: maskDeep(outcome.outputs, masker) } : {}),
    ...(outcome.error ? { error: masker.mask(outcome.error) } : {}),
    ...(outcome.steps
      ? {
          steps: outcome.steps.map((step) => ({
            ...step,
            outputs: maskDeep(step.outputs, masker),
            ...(step.error ? { error: masker.mask(step.error) } : {}),
          })),
        }
      : {}),
  };
}
