import { redactUrl } from "../git/run-git.js";
import type { ServiceContext } from "../service/context.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { upsertSource } from "../store/queries/source-upsert.js";
import { withCheckoutDefaults } from "./checkout-defaults.js";
import type { SourceConfig } from "./config.js";
import type { LoadedRevision } from "./load-revision.js";
import { prepareWorkflow, registerSourceWorkflows } from "./register-workflows.js";

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
    revision.workflows.map(({ name, file, loaded }) =>
      prepareWorkflow(
        name,
        file,
        { ...loaded, workflow: withCheckoutDefaults(loaded.workflow, source, commit) },
        { name: source.name, commit, url },
      ),
    ),
  );
  const now = ctx.now();
  return withUnitOfWork(ctx, async ({ db: tx }) => {
    const { errors } = await registerSourceWorkflows(
      tx,
      sourceKey(source.name),
      prepared,
      (file) => file,
      now,
    );
    if (errors.length > 0) return { activated: false, errors };
    const keep = new Set(prepared.map((w) => w.name));
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
