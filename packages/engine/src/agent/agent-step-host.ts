import { mkdir } from "node:fs/promises";
import path from "node:path";
import { Masker } from "@gantry/core";
import { executeTask } from "../run/execute-task.js";
import type { RunnerLike, Stream } from "../runners/types.js";
import { createSecretCache } from "../secrets/index.js";
import { BundleCache } from "../worker/bundle-cache.js";
import type { StepHostLike, StepRun } from "../worker/step-host.js";
import { startedExecution } from "../worker/task-execution.js";
import type { StartedTask } from "../worker/worker-queue.js";
import type { AgentApi } from "./agent-api.js";
import { AgentLogStream } from "./agent-log-stream.js";

export interface AgentStepHostOptions {
  api: AgentApi;
  runner: RunnerLike;
  /** The agent's data folder: action bundles are cached in `cache/actions`, unsent logs in `spool/logs`. */
  dataDir: string;
  /** How long a finished step's log may wait for an unreachable server before the agent reports anyway. */
  logDeadlineMs: number;
  onLine?: (line: { runId: string; step: string; stream: Stream; line: string }) => void;
  onError?: (error: Error) => void;
}

/**
 * Steps of an agent: run on this machine's runners, with everything else over the server's API: the
 * run's secrets (resolved by the server, for the job this agent leases), action bundles, the log
 * (numbered lines, spooled to disk while the server is away) and the step summary. Artifacts and
 * caches need the server's object store, which agents do not reach: those steps fail, saying so.
 */
export class AgentStepHost implements StepHostLike {
  constructor(private readonly options: AgentStepHostOptions) {}

  async run(started: StartedTask, signal: AbortSignal, workerId: string): Promise<StepRun> {
    const { job, definition, task } = started;
    const { api } = this.options;
    const spoolDir = path.join(this.options.dataDir, "spool", "logs");
    await mkdir(spoolDir, { recursive: true });
    const log = new AgentLogStream({
      api,
      jobId: job.id,
      workerId,
      spoolFile: path.join(spoolDir, `${job.id}-${job.attempt}-${process.pid}.jsonl`),
      onError: (error) => this.options.onError?.(error),
    });
    const masker = new Masker();
    // What earlier steps of the run registered with ::add-mask:: is masked here too.
    for (const value of started.run.masks) masker.add(value);
    // Filled with the step's own references as the server resolved them, before the step resolves them.
    const resolved = new Map<string, unknown>();
    const bundles = this.bundleCache(job.id, workerId);
    const { outcome, summary, masks } = await executeTask({
      ...startedExecution(started, this.options.runner, signal, masker),
      // Sent to the server at once: steps of the run running elsewhere mask it from then on.
      onAddMask: (value) => log.mask(value),
      // The server resolves the run's `secrets:` and the references written in the step; one that only
      // an expression produced (not in the step as written) resolves here, with this machine's credentials.
      secrets: { baseDir: this.options.dataDir, cache: createSecretCache(0), resolved },
      runSecrets: async () => {
        const answer = await api.postRetrying<{
          secrets: Record<string, string>;
          refs: Record<string, unknown>;
        }>(`jobs/${job.id}/secrets`, { workerId });
        for (const [ref, value] of Object.entries(answer.refs)) resolved.set(ref, value);
        return answer.secrets;
      },
      action: (key) => {
        const action = definition.actions[key];
        return action ? { spec: action.spec, folder: () => bundles.folder(action.bundle) } : undefined;
      },
      onLine: (stream, line) => {
        log.line(stream, line);
        this.options.onLine?.({ runId: job.run_id, step: task.step, stream, line });
      },
      refuse: {
        files: (name) =>
          `gantry/${name} needs the server's artifact store, which agents do not reach: run this step on a worker (runner.labels)`,
      },
      workerId,
    });
    if (summary !== undefined && summary.trim() !== "")
      await api
        .post(`jobs/${job.id}/summary`, { workerId, markdown: summary })
        .catch((error: Error) =>
          this.options.onError?.(new Error(`summary of ${job.step}: ${error.message}`)),
        );
    if (outcome.error && outcome.exitCode === null) log.line("stderr", `gantry: ${outcome.error}`);
    await log.close(Date.now() + this.options.logDeadlineMs);
    // The server archives the log when it records the result.
    return { outcome, secrets: masker.secrets(), masks, archive: async () => {} };
  }

  /** Bundles come from the server for the job that uses them (it checks the job's workflow uses them). */
  private bundleCache(jobId: number, workerId: string): BundleCache {
    const dir = path.join(this.options.dataDir, "cache", "actions");
    return new BundleCache(async (hash) => {
      const answer = await this.options.api.postRetrying<{ content: string }>(
        `jobs/${jobId}/bundles/${hash}`,
        { workerId },
      );
      return answer.content;
    }, dir);
  }
}
