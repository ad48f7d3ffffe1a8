import { Masker, type TaskOutcome } from "@gantry/core";
import { jobFiles } from "../artifacts/job-files.js";
import { type EnvironmentSecretsSource, environmentSecrets } from "../gates/environment-secrets.js";
import type { LogArchiver } from "../logs/archiver.js";
import { type LogWriterOptions, TaskLogWriter } from "../logs/writer.js";
import { executeTask } from "../run/execute-task.js";
import { resolveWorkflowSecrets } from "../run/task-secrets.js";
import type { RunnerLike, Stream } from "../runners/types.js";
import { createSecretCache, type SecretCache } from "../secrets/index.js";
import type { ServiceContext } from "../service/context.js";
import { getBundle } from "../store/queries/bundles.js";
import { insertStepSummary } from "../store/queries/step-summaries.js";
import { withInheritedSecrets } from "../subworkflow/secrets.js";
import { boundedSummary } from "../summaries/limits.js";
import { BundleCache } from "./bundle-cache.js";
import { runWithFiles, type WorkerFiles } from "./run-with-files.js";
import { startedExecution } from "./task-execution.js";
import type { StartedTask } from "./worker-queue.js";

/** How a started task's step ran, for the worker to report. */
export interface StepRun {
  outcome: TaskOutcome;
  /** Every secret the step knew: the run's record is masked with them. */
  secrets: string[];
  /** The values it registered with `::add-mask::`, to be kept with the run. */
  masks: string[];
  /** Moves the step's log to the archive (off the run's critical path: called after the result is stored). */
  archive(): Promise<void>;
}

/** Where a worker's steps run, their logs go, and their action code and files come from. */
export interface StepHostLike {
  run(started: StartedTask, signal: AbortSignal, workerId: string): Promise<StepRun>;
}

export interface StepHostOptions {
  cacheDir: string;
  runner: RunnerLike;
  onLine?: (line: {
    runId: string;
    step: string;
    index: number;
    attempt: number;
    stream: Stream;
    line: string;
  }) => void;
  onError?: (error: Error) => void;
  /** Where step logs go: batched into the store while the step runs, archived when it ends. */
  logs?: { archiver: LogArchiver; writer?: LogWriterOptions };
  /**
   * Artifacts and caches (gantry/upload-artifact, download-artifact, cache): they are kept in `objects`,
   * the store that keeps finished logs. Without it those steps fail, saying so.
   */
  files?: WorkerFiles;
  /** gantry.yaml `environments:`: a step deploying to one gets its secrets. */
  environments?: EnvironmentSecretsSource;
}

/** A run resolves each reference once; five minutes keeps a long run from using a rotated secret forever. */
const SECRET_CACHE_TTL_MS = 300_000;

/** Steps of a worker that reaches the database: logs, summaries, action bundles and files in the store. */
export class StoreStepHost implements StepHostLike {
  private readonly bundles: BundleCache;
  private readonly secretCaches = new Map<string, SecretCache>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: StepHostOptions,
  ) {
    this.bundles = new BundleCache((hash) => getBundle(ctx.database.db, hash), options.cacheDir);
  }

  async run(started: StartedTask, signal: AbortSignal, workerId: string): Promise<StepRun> {
    const { job } = started;
    const key = { run_id: job.run_id, step: job.step, item_index: job.item_index, attempt: job.attempt };
    const writer = new TaskLogWriter(this.ctx, key, this.options.logs?.writer, (error) =>
      this.options.onError?.(new Error(`logs of ${job.step}: ${error.message}`)),
    );
    const masker = new Masker();
    // Values earlier steps of the run registered with ::add-mask::.
    for (const value of started.run.masks) masker.add(value);
    const { outcome, summary, masks } = await this.execute(started, signal, workerId, masker, writer);
    await this.saveSummary(started, summary);
    // Why a step failed before or outside its process (an input, a secret) belongs in its log too.
    if (outcome.error && outcome.exitCode === null) writer.line("stderr", `gantry: ${outcome.error}`);
    await writer.close();
    // A step that printed nothing has no chunks to archive (an attempt runs again only after a hand-back,
    // which archived its chunks first): skipping saves a query and a spool file per quiet step.
    const archive = async () => {
      if (writer.lines > 0)
        await this.options.logs?.archiver
          .archiveTask(key)
          .catch((error: Error) => this.options.onError?.(error));
    };
    return { outcome, secrets: masker.secrets(), masks, archive };
  }

  private execute(
    started: StartedTask,
    signal: AbortSignal,
    workerId: string,
    masker: Masker,
    writer: TaskLogWriter,
  ) {
    const { definition, info, task, job } = started;
    const secrets = {
      baseDir: definition.root,
      cache: this.secretCache(job.run_id),
      providers: this.ctx.secretProviders,
    };
    return executeTask({
      ...startedExecution(started, this.options.runner, signal, masker),
      secrets,
      // A step deploying to an environment gets that environment's secrets, and no other step does.
      runSecrets: async () => ({
        ...(await resolveWorkflowSecrets(withInheritedSecrets(definition.workflow, info), secrets)),
        ...(await environmentSecrets(definition.workflow.steps[task.step], this.options.environments, {
          cache: secrets.cache,
          providers: secrets.providers,
        })),
      }),
      action: (key) => {
        const action = definition.actions[key];
        return action ? { spec: action.spec, folder: () => this.bundles.folder(action.bundle) } : undefined;
      },
      onLine: (stream, line) => {
        writer.line(stream, line);
        this.options.onLine?.({
          runId: job.run_id,
          step: task.step,
          index: task.index,
          attempt: task.attempt,
          stream,
          line,
        });
      },
      jobFiles: () =>
        jobFiles(this.options.files, {
          db: this.ctx.database.db,
          now: this.ctx.now,
          run: { id: started.run.id, workflow: started.run.workflow, info },
          step: job.step,
        }),
      files: (name, prepared, runIn, log) =>
        runWithFiles(
          { db: this.ctx.database.db, now: this.ctx.now, files: this.options.files },
          started,
          name,
          prepared,
          runIn,
          log,
        ),
      flow: writer,
      workerId,
      now: this.ctx.now,
    });
  }

  /**
   * Stores what the step wrote to $GANTRY_STEP_SUMMARY (masked by executeTask), bounded, before its
   * result: the run page shows it once the step shows as finished. A store error costs the summary, not the step.
   */
  private async saveSummary(started: StartedTask, text: string | undefined): Promise<void> {
    const markdown = boundedSummary(text);
    if (markdown === undefined) return;
    const { job } = started;
    const key = { run_id: job.run_id, step: job.step, item_index: job.item_index, attempt: job.attempt };
    await insertStepSummary(this.ctx.database.db, key, markdown, this.ctx.now()).catch((error: Error) =>
      this.options.onError?.(new Error(`summary of ${job.step}: ${error.message}`)),
    );
  }

  /** One cache per run: its references resolve once, and a rotated secret is picked up by the next run. */
  private secretCache(runId: string): SecretCache {
    let cache = this.secretCaches.get(runId);
    if (!cache) {
      cache = createSecretCache(SECRET_CACHE_TTL_MS);
      this.secretCaches.set(runId, cache);
      // Bounded: a long-lived worker forgets the oldest runs' caches.
      if (this.secretCaches.size > 1000)
        this.secretCaches.delete(this.secretCaches.keys().next().value as string);
    }
    return cache;
  }
}
