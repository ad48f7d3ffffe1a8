import path from "node:path";
import type { Problem } from "@gantry/core";
import { findWorkflowFiles } from "../loader/find-files.js";
import { type LoadedWorkflow, type LoadOptions, loadWorkflow } from "../loader/load-workflow.js";
import { isInside } from "../loader/repository-root.js";
import { subWorkflowProblems } from "../subworkflow/check.js";

export interface LoadedRevision {
  workflows: { name: string; file: string; loaded: LoadedWorkflow }[];
  /** Every problem of every file, as `file` relative to the repository root. */
  problems: Problem[];
}

/**
 * Loads every workflow of a checked-out commit (`tree`) under `folder`. The revision is usable only
 * when `problems` is empty: one bad file keeps the whole commit from being activated.
 */
export async function loadRevision(
  tree: string,
  folder: string,
  options: LoadOptions = {},
): Promise<LoadedRevision> {
  const dir = path.resolve(tree, folder);
  const at = (message: string): LoadedRevision => ({
    workflows: [],
    problems: [{ file: folder || ".", line: 1, col: 1, message }],
  });
  if (!isInside(tree, dir)) return at(`path '${folder}' leaves the repository`);
  const files = await findWorkflowFiles(dir);
  if (!files) return at(`path '${folder}' does not exist in the repository`);
  const problems: Problem[] = [];
  const workflows: LoadedRevision["workflows"] = [];
  const seen = new Map<string, string>();
  const relative = (file: string) => {
    const absolute = path.resolve(file);
    return isInside(tree, absolute) ? path.relative(tree, absolute) : file;
  };
  for (const file of files) {
    const { loaded, problems: found } = await loadWorkflow(file, options);
    problems.push(...found.map((p) => ({ ...p, file: relative(p.file) })));
    if (!loaded) continue;
    const name = loaded.workflow.name ?? path.basename(file).replace(/\.ya?ml$/, "");
    const other = seen.get(name);
    if (other) {
      problems.push({
        file: relative(file),
        line: 1,
        col: 1,
        message: `workflow name '${name}' is already used by ${other}`,
      });
      continue;
    }
    seen.set(name, relative(file));
    workflows.push({ name, file: relative(file), loaded });
  }
  // Sub-workflows call workflows of the same commit: checked once all of them are loaded.
  const calls = await subWorkflowProblems(
    workflows.map((w) => ({ name: w.name, file: w.loaded.file, workflow: w.loaded.workflow })),
  );
  problems.push(...calls.map((p) => ({ ...p, file: relative(p.file) })));
  // Actions load concurrently, so problems arrive in any order: show them in file order.
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
  return { workflows, problems };
}
