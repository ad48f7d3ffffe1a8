import type { JobFiles } from "../artifacts/job-files.js";
import { workspaceActionOf } from "../artifacts/workspace-actions.js";
import type { RunnerResult } from "../runners/types.js";
import { SUMMARY_LIMIT_BYTES } from "../summaries/limits.js";

/**
 * What passes through the worker for a job's steps: the files of gantry/upload-artifact,
 * download-artifact and cache (moved in and out of the job's workspace around the step, a cache saved
 * at the job's end), and the Markdown each step appends to $GANTRY_STEP_SUMMARY, kept as one summary
 * for the job, in step order, as GitHub shows a job's summary.
 */
export class JobStepFiles {
  /** The saves at the job's end (caches), run in reverse order as GitHub runs post steps. */
  private readonly posts: Array<(jobSucceeded: boolean) => Promise<void>> = [];
  private readonly summaries: string[] = [];
  private summaryBytes = 0;

  constructor(
    private readonly files: JobFiles | undefined,
    /** The job's workspace on the worker's machine; absent on runners whose workspace is elsewhere. */
    readonly workspace: string | undefined,
    readonly runnerType: string,
  ) {}

  /**
   * Runs a step; when it `uses:` a workspace action, with the action's files moved in before and out
   * after (and its save registered for the job's end). Throws, naming the action, when that fails.
   */
  async around(
    step: { uses: unknown; place: string; inputs: Record<string, unknown> },
    log: (line: string) => void,
    run: () => Promise<RunnerResult>,
  ): Promise<RunnerResult> {
    const name = workspaceActionOf(step.uses);
    if (!name) return run();
    const named = async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (error) {
        throw new Error(`gantry/${name}: ${(error as Error).message}`);
      }
    };
    const { files, workspace } = this;
    if (!files)
      throw new Error(
        `gantry/${name} needs a worker with an object store (the log archive's); here there is none`,
      );
    if (workspace === undefined)
      throw new Error(
        `gantry/${name} runs in jobs on the local and docker runners, not ${this.runnerType}: its files pass through the worker`,
      );
    const hooks = await named(() => files.hooks({ name, place: step.place, inputs: step.inputs, log }));
    const before = await named(() => hooks.before(workspace));
    this.posts.push((ok) => named(() => hooks.post(workspace, ok)));
    const result = await run();
    if (result.status !== "succeeded") return result;
    const after = await named(() => hooks.after(workspace));
    return { ...result, outputs: { ...result.outputs, ...before, ...after } };
  }

  /** Keeps a step's summary for the job's (bounded later, with the note, by the worker). */
  summary(text: string | undefined): void {
    if (text === undefined || text.trim() === "" || this.summaryBytes > SUMMARY_LIMIT_BYTES) return;
    const joined = this.summaries.length > 0 && !this.summaries.at(-1)?.endsWith("\n") ? `\n${text}` : text;
    this.summaries.push(joined);
    this.summaryBytes += Buffer.byteLength(joined);
  }

  /** The job's summary: its steps' in order; undefined when none wrote one. */
  jobSummary(): string | undefined {
    return this.summaries.length > 0 ? this.summaries.join("") : undefined;
  }

  /**
   * The job's end: the registered saves, last first, told whether the job succeeded. A save that fails
   * is a warning in the log, not a failed job, as GitHub's cache post step does.
   */
  async end(jobSucceeded: boolean, log: (line: string) => void): Promise<void> {
    for (const post of this.posts.reverse()) {
      await post(jobSucceeded).catch((error: Error) => log(`gantry: warning: ${error.message}`));
    }
    this.posts.length = 0;
    await this.files?.close();
  }
}
