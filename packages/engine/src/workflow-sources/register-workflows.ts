import { formatProblem, inputsJsonSchema } from "@gantry/core";
import type { LoadedWorkflow } from "../loader/loaded-types.js";
import type { WorkflowDefinition } from "../service/workflow-definition.js";
import { definitionOf, sha256 } from "../service/workflow-definition.js";
import { putBundle } from "../store/queries/bundles.js";
import { deleteWorkflows, ownersOf, workflowsOfSource } from "../store/queries/source-workflows.js";
import type { Db } from "../store/queries/types.js";
import { upsertWorkflow } from "../store/queries/upsert-workflow.js";

/** A workflow of a source (a git commit or a watched folder) turned into the definition it is stored as. */
export interface PreparedWorkflow {
  name: string;
  file: string;
  loaded: LoadedWorkflow;
  definitionJson: string;
  bundles: Map<string, string>;
  revision: string;
}

export async function prepareWorkflow(
  name: string,
  file: string,
  loaded: LoadedWorkflow,
  origin?: WorkflowDefinition["source"],
): Promise<PreparedWorkflow> {
  const { definition, bundles } = await definitionOf(name, loaded, origin);
  const definitionJson = JSON.stringify(definition);
  return { name, file, loaded, definitionJson, bundles, revision: sha256(definitionJson) };
}

/**
 * Stores a source's workflows in the caller's transaction and removes those it no longer has, or refuses
 * all of them when another source already owns one of their names (`shownFile` says where each came from).
 */
export async function registerSourceWorkflows(
  tx: Db,
  sourceKey: string,
  prepared: PreparedWorkflow[],
  shownFile: (file: string) => string,
  now: number,
): Promise<{ errors: string[]; removed: string[] }> {
  const owners = await ownersOf(
    tx,
    prepared.map((w) => w.name),
  );
  const errors = prepared
    .filter((w) => owners.has(w.name) && owners.get(w.name) !== sourceKey)
    .map((w) =>
      formatProblem({
        file: shownFile(w.file),
        line: 1,
        col: 1,
        message: `workflow name '${w.name}' is already registered from ${owners.get(w.name)}`,
      }),
    );
  if (errors.length > 0) return { errors, removed: [] };
  for (const w of prepared) {
    for (const [hash, content] of w.bundles) await putBundle(tx, hash, content, now);
    await putBundle(tx, w.revision, w.definitionJson, now);
    await upsertWorkflow(tx, {
      name: w.name,
      source: sourceKey,
      file: w.file,
      revision: w.revision,
      definition_json: w.definitionJson,
      input_schema_json: JSON.stringify(inputsJsonSchema(w.loaded.workflow.inputs)),
      description: w.loaded.workflow.description ?? null,
      updated_at: now,
    });
  }
  const keep = new Set(prepared.map((w) => w.name));
  const removed = (await workflowsOfSource(tx, sourceKey)).map((w) => w.name).filter((n) => !keep.has(n));
  await deleteWorkflows(tx, removed);
  return { errors: [], removed };
}
