import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { ActionSpec, WorkflowSpec } from "@gantry/core";
import type { LibraryPin, LoadedWorkflow } from "../loader/load-workflow.js";

/** What a worker needs to run any step of a workflow revision, with action code referenced by hash. */
export interface WorkflowDefinition {
  name: string;
  /** The repository root it was loaded from: where relative secret references (sops files) resolve. */
  root: string;
  workflow: WorkflowSpec;
  /** `pin`: for a library action, the library, path, ref and the commit the ref named when loaded. */
  actions: Record<string, { spec: ActionSpec; bundle: string; pin?: LibraryPin }>;
  /** The git source and commit it was loaded from (absent for a folder): runs record them, re-runs keep them. */
  source?: { name: string; commit: string; url: string };
  /**
   * The library workflow each `uses: <library>/<path>.yaml@<ref>` step calls: its name, the revision its
   * definition is stored at (a bundle, like this one), and the pin. Child runs start at that revision.
   */
  calls?: Record<string, { name: string; revision: string; pin: LibraryPin }>;
}

export interface BundleFile {
  path: string;
  mode: number;
  base64: string;
}

/** Every file of an action folder, in a stable order, and its content hash. */
export async function bundleFolder(dir: string): Promise<{ hash: string; content: string }> {
  const files: BundleFile[] = [];
  const walk = async (rel: string) => {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const relPath = path.posix.join(rel, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== ".git" && entry.name !== "node_modules") await walk(relPath);
      } else if (entry.isFile()) {
        const full = path.join(dir, relPath);
        const [data, info] = await Promise.all([readFile(full), stat(full)]);
        files.push({ path: relPath, mode: info.mode & 0o777, base64: data.toString("base64") });
      }
    }
  };
  await walk("");
  const content = JSON.stringify(files);
  return { hash: sha256(content), content };
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Turns a loaded workflow into a definition plus the bundles it references. */
export async function definitionOf(
  name: string,
  loaded: LoadedWorkflow,
  source?: WorkflowDefinition["source"],
): Promise<{ definition: WorkflowDefinition; bundles: Map<string, string> }> {
  const bundles = new Map<string, string>();
  const byDir = new Map<string, string>();
  const actions: WorkflowDefinition["actions"] = {};
  for (const [step, action] of Object.entries(loaded.actions)) {
    let hash = byDir.get(action.dir);
    if (!hash) {
      const bundle = await bundleFolder(action.dir);
      hash = bundle.hash;
      bundles.set(hash, bundle.content);
      byDir.set(action.dir, hash);
    }
    actions[step] = { spec: action.spec, bundle: hash, ...(action.pin ? { pin: action.pin } : {}) };
  }
  const calls: NonNullable<WorkflowDefinition["calls"]> = {};
  for (const [step, call] of Object.entries(loaded.calls ?? {})) {
    // The called workflow's definition is a bundle of its own, content-addressed like any revision.
    const child = await definitionOf(call.name, call.loaded);
    for (const [hash, content] of child.bundles) bundles.set(hash, content);
    const json = JSON.stringify(child.definition);
    const revision = sha256(json);
    bundles.set(revision, json);
    calls[step] = { name: call.name, revision, pin: call.pin };
  }
  return {
    definition: {
      name,
      root: loaded.root,
      workflow: loaded.workflow,
      actions,
      ...(source ? { source } : {}),
      ...(Object.keys(calls).length > 0 ? { calls } : {}),
    },
    bundles,
  };
}
