import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { LogArchiveLike } from "../logs/types.js";
import type { ServiceContext } from "../service/context.js";
import type { ClaimedTask } from "../service/tasks.js";
import { DEFAULT_FILES_LIMITS, type FilesContext, type FilesLimits } from "./context.js";
import { type WorkspaceActionName, type WorkspaceHooks, workspaceHooks } from "./workspace-actions.js";

/** The worker's object store for artifacts and caches (WorkerOptions.files). */
export interface FilesStore {
  objects: LogArchiveLike;
  limits?: Partial<FilesLimits>;
  /** Where tarballs on their way in or out wait (default: the OS's temporary folder). */
  workspaceRoot?: string;
}

/** One step of a job that is a workspace action. */
export interface JobFileStep {
  name: WorkspaceActionName;
  /** The step's place in the job: its index, `2.1` for the second step of the third's composite action. */
  place: string;
  /** The step's evaluated `with`. */
  inputs: Record<string, unknown>;
  log: (line: string) => void;
}

/**
 * The hooks of the workspace actions of one job: its steps of gantry/upload-artifact, download-artifact
 * and cache share one scratch folder (a subfolder each), made on first use and removed by `close` when the
 * job ends.
 */
export interface JobFiles {
  hooks(step: JobFileStep): Promise<WorkspaceHooks>;
  close(): Promise<void>;
}

/** What the hooks know of the run, the same for every step of the job. */
export type JobFilesRun = Pick<FilesContext, "db" | "now" | "run" | "step">;

export function jobFiles(store: FilesStore | undefined, run: JobFilesRun): JobFiles {
  let scratch: Promise<string> | undefined;
  return {
    async hooks(step) {
      if (!store)
        throw new Error(
          `gantry/${step.name} needs a worker with an object store (the log archive's); this one has none`,
        );
      scratch ??= mkdtemp(path.join(store.workspaceRoot ?? os.tmpdir(), "gantry-job-files-"));
      // A folder per step: a cache's tarball waits there until the job's end, past later steps' uploads.
      const own = path.join(await scratch, step.place);
      await mkdir(own, { recursive: true });
      return workspaceHooks(step.name, {
        ...run,
        objects: store.objects,
        limits: { ...DEFAULT_FILES_LIMITS, ...store.limits },
        // A job's artifacts are recorded under the job's node and the step's place in it.
        step: `${run.step}.steps[${step.place}]`,
        inputs: step.inputs,
        log: step.log,
        scratch: own,
      });
    },
    async close() {
      if (scratch) await rm(await scratch, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

/** A claimed job's files, on the worker's store. */
export function jobFilesOf(
  ctx: ServiceContext,
  store: FilesStore | undefined,
  claimed: ClaimedTask,
): JobFiles {
  return jobFiles(store, {
    db: ctx.database.db,
    now: ctx.now,
    run: { id: claimed.run.id, workflow: claimed.run.workflow, info: claimed.info },
    step: claimed.job.step,
  });
}
