import { type CacheRestore, restoreCache, saveCache } from "../caches/cache-action.js";
import type { FilesContext } from "./context.js";
import { downloadArtifact } from "./download.js";
import { uploadArtifact } from "./upload.js";

/** Built-in actions whose files the worker moves in and out of the step's workspace. */
export const WORKSPACE_ACTIONS = ["upload-artifact", "download-artifact", "cache"] as const;
export type WorkspaceActionName = (typeof WORKSPACE_ACTIONS)[number];

/** The workspace action a step's `uses:` names, if any. */
export function workspaceActionOf(uses: unknown): WorkspaceActionName | undefined {
  if (typeof uses !== "string") return undefined;
  const name = /^gantry\/([a-z-]+)$/.exec(uses.trim())?.[1];
  return (WORKSPACE_ACTIONS as readonly string[]).includes(name ?? "")
    ? (name as WorkspaceActionName)
    : undefined;
}

/**
 * What the worker does around a workspace action's process, in three moments, so the same hooks serve a
 * step on its own and a step inside a job:
 * - `before`: before the step's process (download, cache restore), in its workspace;
 * - `after`: right after the process, when it succeeded (upload);
 * - `post`: when the job ends (the cache's save), told whether the whole job succeeded. A step outside a
 *   job is its own job: the worker calls `post` right after `after`. A job calls its steps' `post`s in
 *   reverse order at its end, as GitHub Actions runs post steps.
 * Each returns outputs to merge into the step's. A throw fails the step with its message.
 */
export interface WorkspaceHooks {
  before(workspace: string): Promise<Record<string, string>>;
  after(workspace: string): Promise<Record<string, string>>;
  post(workspace: string, jobSucceeded: boolean): Promise<void>;
}

export function workspaceHooks(name: WorkspaceActionName, ctx: FilesContext): WorkspaceHooks {
  const none = async () => ({});
  switch (name) {
    case "upload-artifact":
      return { before: none, after: (ws) => uploadArtifact(ctx, ws), post: async () => {} };
    case "download-artifact":
      return { before: (ws) => downloadArtifact(ctx, ws), after: none, post: async () => {} };
    case "cache": {
      let restored: CacheRestore | undefined;
      return {
        before: async (ws) => {
          const { outputs, restore } = await restoreCache(ctx, ws);
          restored = restore;
          return outputs;
        },
        after: none,
        post: async (ws, jobSucceeded) => {
          if (!restored) return;
          if (!jobSucceeded)
            return ctx.log("gantry/cache: the job did not succeed, so the cache is not saved");
          await saveCache(ctx, ws, restored);
        },
      };
    }
  }
}
