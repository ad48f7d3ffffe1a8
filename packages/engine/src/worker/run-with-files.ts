import { chmod } from "node:fs/promises";
import type { PreparedTask } from "@gantry/core";
import { type FilesStore, jobFiles, requireFilesStore } from "../artifacts/job-files.js";
import type { WorkspaceActionName } from "../artifacts/workspace-actions.js";
import type { RunnerResult } from "../runners/types.js";
import type { Db } from "../store/queries/types.js";
import type { StartedTask } from "./worker-queue.js";

/** Where a worker keeps the files of artifacts and caches (the same store a job's steps use). */
export type WorkerFiles = FilesStore;

/**
 * Runs a step of gantry/upload-artifact, download-artifact or cache as its own job (the job's files in
 * artifacts/job-files.ts): in a workspace this worker makes,
 * fills before (download, restore) and reads after (upload, save) through the action's hooks. A step
 * outside a job is its own job, so the cache's end-of-job save comes right after it.
 */
export async function runWithFiles(
  host: { db: Db; now: () => number; files: WorkerFiles | undefined },
  started: StartedTask,
  name: WorkspaceActionName,
  prepared: PreparedTask,
  runIn: (workspace: string) => Promise<RunnerResult>,
  log: (line: string) => void,
): Promise<RunnerResult> {
  const files = requireFilesStore(host.files, name);
  const type = prepared.runner?.type ?? "local";
  if (type !== "local" && type !== "docker") {
    throw new Error(
      `gantry/${name} runs on the local and docker runners, not ${type}: its files pass through the worker`,
    );
  }
  const job = jobFiles(files, {
    db: host.db,
    now: host.now,
    run: { id: started.run.id, workflow: started.run.workflow, info: started.info },
    step: started.job.step,
  });
  try {
    const workspace = await job.folder("work");
    // A container's user may not be the worker's: it must be able to write the workspace.
    await chmod(workspace, 0o777);
    const hooks = await job.hooks({ name, inputs: prepared.inputs, log });
    const named = async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (error) {
        throw new Error(`gantry/${name}: ${(error as Error).message}`);
      }
    };
    const before = await named(() => hooks.before(workspace));
    const result = await runIn(workspace);
    if (result.status !== "succeeded") {
      await named(() => hooks.post(workspace, false));
      return result;
    }
    const after = await named(() => hooks.after(workspace));
    await named(() => hooks.post(workspace, true));
    return { ...result, outputs: { ...result.outputs, ...before, ...after } };
  } finally {
    await job.close();
  }
}
