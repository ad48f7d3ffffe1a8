import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { LogArchiveLike } from "../logs/types.js";
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
  /**
   * The step's place in the job: its index, `2.1` for the second step of the third's composite action.
   * Absent for a step outside a job, which is its own job: recorded under the run's node itself.
   */
  place?: string;
  /** The step's evaluated `with`. */
  inputs: Record<string, unknown>;
  log: (line: string) => void;
}

/**
 * The hooks of the workspace actions of one job (or of a lone step, its own job): its steps of
 * gantry/upload-artifact, download-artifact and cache share one scratch folder (a subfolder each), made on
 * first use and removed by `close` when the job ends.
 */
export interface JobFiles {
  hooks(step: JobFileStep): Promise<WorkspaceHooks>;
  /** Another subfolder of the scratch folder (a lone step's workspace), removed with it by `close`. */
  folder(name: string): Promise<string>;
  close(): Promise<void>;
}

/** The store a workspace action needs, or an error naming the action when the worker has none. */
export function requireFilesStore(store: FilesStore | undefined, name: WorkspaceActionName): FilesStore {
  if (!store)
    throw new Error(
      `gantry/${name} needs a worker with an object store (the log archive's); this one has none`,
    );
  return store;
}

/** What the hooks know of the run, the same for every step of the job. */
export type JobFilesRun = Pick<FilesContext, "db" | "now" | "run" | "step">;

export function jobFiles(store: FilesStore | undefined, run: JobFilesRun): JobFiles {
  let scratch: Promise<string> | undefined;
  const folder = async (name: string) => {
    scratch ??= mkdtemp(path.join(store?.workspaceRoot ?? os.tmpdir(), "gantry-job-files-"));
    const own = path.join(await scratch, name);
    await mkdir(own, { recursive: true });
    return own;
  };
  return {
    async hooks(step) {
      const files = requireFilesStore(store, step.name);
      // A folder per step: a cache's tarball waits there until the job's end, past later steps' uploads.
      const own = await folder(step.place ?? "step");
      return workspaceHooks(step.name, {
        ...run,
        objects: files.objects,
        limits: { ...DEFAULT_FILES_LIMITS, ...files.limits },
        // A job's artifacts are recorded under the job's node and the step's place in it.
        step: step.place === undefined ? run.step : `${run.step}.steps[${step.place}]`,
        inputs: step.inputs,
        log: step.log,
        scratch: own,
      });
    },
    folder,
    async close() {
      if (scratch) await rm(await scratch, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
