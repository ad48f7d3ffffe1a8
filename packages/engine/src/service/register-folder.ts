import path from "node:path";
import { inputsJsonSchema, type Problem } from "@gantry/core";
import { findWorkflowFiles } from "../loader/find-files.js";
import { type LoadedWorkflow, type LoadOptions, loadWorkflow } from "../loader/load-workflow.js";
import { putBundle } from "../store/queries/bundles.js";
import { upsertWorkflow } from "../store/queries/upsert-workflow.js";
import { subWorkflowProblems } from "../subworkflow/check.js";
import type { ServiceContext } from "./context.js";
import { withUnitOfWork } from "./unit-of-work.js";
import { definitionOf, sha256 } from "./workflow-definition.js";

export interface RegisterResult {
  registered: string[];
  problems: Problem[];
}

/**
 * Loads every workflow under a folder into the store. A workflow with problems is left out (and its
 * problems returned); the others are registered, each at a content-addressed revision.
 */
export async function registerFolder(
  ctx: ServiceContext,
  dir: string,
  source = `dir:${path.resolve(dir)}`,
  options: LoadOptions = {},
): Promise<RegisterResult> {
  const files = await findWorkflowFiles(dir);
  if (!files)
    return { registered: [], problems: [{ file: dir, line: 1, col: 1, message: "folder not found" }] };
  const problems: Problem[] = [];
  const registered: string[] = [];
  const seen = new Map<string, string>();
  const good: Array<{ name: string; file: string; loaded: LoadedWorkflow }> = [];
  for (const file of files) {
    const { loaded, problems: found } = await loadWorkflow(file, options);
    if (!loaded) {
      problems.push(...found);
      continue;
    }
    const name = loaded.workflow.name ?? path.basename(file).replace(/\.ya?ml$/, "");
    const other = seen.get(name);
    if (other) {
      problems.push({
        file,
        line: 1,
        col: 1,
        message: `workflow name '${name}' is already used by ${other}`,
      });
      continue;
    }
    seen.set(name, file);
    good.push({ name, file, loaded });
  }
  // Sub-workflows call workflows of the same folder: checked once all are loaded; a caller with a
  // problem is left out like any invalid workflow.
  const calls = await subWorkflowProblems(good.map((w) => ({ ...w, workflow: w.loaded.workflow })));
  problems.push(...calls);
  const refused = new Set(calls.map((p) => path.resolve(p.file)));
  for (const { name, file, loaded } of good) {
    if (refused.has(path.resolve(file))) continue;
    const { definition, bundles } = await definitionOf(name, loaded);
    const definitionJson = JSON.stringify(definition);
    const revision = sha256(definitionJson);
    const now = ctx.now();
    await withUnitOfWork(ctx, async ({ db: tx }) => {
      for (const [hash, content] of bundles) await putBundle(tx, hash, content, now);
      await putBundle(tx, revision, definitionJson, now);
      await upsertWorkflow(tx, {
        name,
        source,
        file: path.relative(dir, file) || path.basename(file),
        revision,
        definition_json: definitionJson,
        input_schema_json: JSON.stringify(inputsJsonSchema(loaded.workflow.inputs)),
        description: loaded.workflow.description ?? null,
        updated_at: now,
      });
    });
    registered.push(name);
  }
  return { registered, problems };
}
