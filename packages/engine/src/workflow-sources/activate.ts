import { formatProblem, inputsJsonSchema } from "@gantry/core";
import { redactUrl } from "../git/run-git.js";
import type { ServiceContext } from "../service/context.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { definitionOf, sha256 } from "../service/workflow-definition.js";
import { putBundle } from "../store/queries/bundles.js";
import { upsertSource } from "../store/queries/source-upsert.js";
import { deleteWorkflows, ownersOf, workflowsOfSource } from "../store/queries/source-workflows.js";
import { upsertWorkflow } from "../store/queries/upsert-workflow.js";
import { withCheckoutDefaults } from "./checkout-defaults.js";
import type { SourceConfig } from "./config.js";
import type { LoadedRevision } from "./load-revision.js";

/**
 * Makes `commit` the source's active revision in one transaction: every workflow of it registered (at a
 * revision naming the commit), the source's workflows it no longer has removed, and the source's row
 * updated. Readers see the old set or the new one, never a mix. Refused, with nothing written but the
 * errors, when a workflow name belongs to another source or folder.
 */
export async function activateRevision(
  ctx: ServiceContext,
  source: SourceConfig,
  commit: string,
  revision: LoadedRevision,
): Promise<{ activated: boolean; errors: string[] }> {
  const url = redactUrl(source.url);
  const prepared = await Promise.all(
    revision.workflows.map(async ({ name, file, loaded }) => {
      const withCheckout = { ...loaded, workflow: withCheckoutDefaults(loaded.workflow, source, commit) };
      const { definition, bundles } = await definitionOf(name, withCheckout, {
        name: source.name,
        commit,
        url,
      });
      const definitionJson = JSON.stringify(definition);
      return { name, file, loaded, definitionJson, bundles, revision: sha256(definitionJson) };
    }),
  );
  const now = ctx.now();
  return withUnitOfWork(ctx, async ({ db: tx }) => {
    const owners = await ownersOf(
      tx,
      prepared.map((w) => w.name),
    );
    const errors = prepared
      .filter((w) => owners.has(w.name) && owners.get(w.name) !== sourceKey(source.name))
      .map((w) =>
        formatProblem({
          file: w.file,
          line: 1,
          col: 1,
          message: `workflow name '${w.name}' is already registered from ${owners.get(w.name)}`,
        }),
      );
    if (errors.length > 0) return { activated: false, errors };
    for (const w of prepared) {
      for (const [hash, content] of w.bundles) await putBundle(tx, hash, content, now);
      await putBundle(tx, w.revision, w.definitionJson, now);
      await upsertWorkflow(tx, {
        name: w.name,
        source: sourceKey(source.name),
        file: w.file,
        revision: w.revision,
        definition_json: w.definitionJson,
        input_schema_json: JSON.stringify(inputsJsonSchema(w.loaded.workflow.inputs)),
        description: w.loaded.workflow.description ?? null,
        updated_at: now,
      });
    }
    const keep = new Set(prepared.map((w) => w.name));
    const existing = await workflowsOfSource(tx, sourceKey(source.name));
    await deleteWorkflows(
      tx,
      existing.map((w) => w.name).filter((n) => !keep.has(n)),
    );
    await upsertSource(tx, {
      name: source.name,
      url,
      ref: source.ref,
      path: source.path,
      active_commit: commit,
      activated_at: now,
      seen_commit: commit,
      last_sync_at: now,
      state: "ok",
      errors_json: "[]",
      workflows_json: JSON.stringify([...keep].sort()),
      updated_at: now,
    });
    return { activated: true, errors: [] };
  });
}

/** The `workflows.source` value of a git source's workflows (folders use `dir:<path>`). */
export function sourceKey(name: string): string {
  return `git:${name}`;
}
