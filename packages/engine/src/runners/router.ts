import { RUNNER_TYPES, type RunnerType } from "@gantry/core";
import type { JobSession, JobStart, RunnerLike, RunnerResult, RunnerTask } from "./types.js";

/** A runner, or a function that makes it on first use (so its client library loads only when needed). */
export type RunnerSource = RunnerLike | (() => Promise<RunnerLike>);

/**
 * Sends each task to the runner of its `runner.type` (local when it has none). Runners given as
 * factories are made on first use: a worker offering docker loads dockerode only when a step needs it.
 */
export class RunnerRouter implements RunnerLike {
  readonly types: readonly RunnerType[];
  private readonly made = new Map<RunnerType, Promise<RunnerLike>>();

  constructor(private readonly sources: Partial<Record<RunnerType, RunnerSource>>) {
    this.types = RUNNER_TYPES.filter((t) => sources[t] !== undefined);
  }

  /** The runner for a type, made once. */
  runner(type: RunnerType): Promise<RunnerLike> | undefined {
    let made = this.made.get(type);
    if (!made) {
      const source = this.sources[type];
      if (!source) return undefined;
      made = typeof source === "function" ? source() : Promise.resolve(source);
      // A failed load (no engine configured) is retried by the next step, not cached.
      made.catch(() => this.made.delete(type));
      this.made.set(type, made);
    }
    return made;
  }

  async run(task: RunnerTask): Promise<RunnerResult> {
    const type = task.task.runner?.type ?? "local";
    const now = Date.now();
    const failed = (error: string): RunnerResult => ({
      status: "failed",
      exitCode: null,
      outputs: {},
      error,
      startedAt: now,
      finishedAt: Date.now(),
    });
    const runner = this.runner(type);
    if (!runner) {
      return failed(
        `runner type '${type}' is not offered here (offered: ${this.types.join(", ") || "none"})`,
      );
    }
    let made: RunnerLike;
    try {
      made = await runner;
    } catch (error) {
      return failed(`runner type '${type}' could not start: ${(error as Error).message}`);
    }
    return made.run(task);
  }

  /** Opens a job on the runner of its type; a runner that cannot hold a job says so. */
  async openJob(job: JobStart): Promise<JobSession> {
    const type = job.task.runner?.type ?? "local";
    const runner = this.runner(type);
    if (!runner) {
      throw new Error(
        `runner type '${type}' is not offered here (offered: ${this.types.join(", ") || "none"})`,
      );
    }
    const made = await runner;
    if (!made.openJob) throw new Error(`runner type '${type}' cannot run a job of steps`);
    return made.openJob(job);
  }

  /** Orphans of every runner offered; a runner that cannot load now is skipped (its engine may be down). */
  async removeOrphans(isAlive: (workerId: string) => Promise<boolean>): Promise<number> {
    let removed = 0;
    for (const type of this.types) {
      const runner = await this.runner(type)?.catch(() => undefined);
      if (runner?.removeOrphans) removed += await runner.removeOrphans(isAlive);
    }
    return removed;
  }
}
