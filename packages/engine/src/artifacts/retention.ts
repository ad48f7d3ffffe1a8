import type { LogArchiveLike } from "../logs/types.js";
import type { ServiceContext } from "../service/context.js";
import { deleteArtifactRows, expiredArtifacts } from "../store/queries/artifacts.js";
import { withCiTables } from "../store/queries/ci-results-tables.js";

const BATCH = 500;

/**
 * Deletes artifacts whose retention (`retention_days`) ended, objects first: when the store fails, the
 * rows stay for the next sweep rather than objects nobody can find again. Returns how many went.
 */
export async function deleteExpiredArtifacts(ctx: ServiceContext, objects: LogArchiveLike): Promise<number> {
  let deleted = 0;
  for (;;) {
    const rows = await expiredArtifacts(ctx.database.db, ctx.now(), BATCH);
    if (rows.length === 0) return deleted;
    await objects.delete(rows.map((r) => r.object_key));
    await deleteArtifactRows(
      ctx.database.db,
      rows.map((r) => r.id),
    );
    deleted += rows.length;
    if (rows.length < BATCH) return deleted;
  }
}

/** The artifacts (objects, then rows) and step summaries of runs being deleted. */
export async function deleteRunResults(
  ctx: ServiceContext,
  objects: LogArchiveLike,
  runIds: string[],
): Promise<void> {
  if (runIds.length === 0) return;
  const ci = withCiTables(ctx.database.db);
  const rows = await ci
    .selectFrom("artifacts")
    .select(["id", "object_key"])
    .where("run_id", "in", runIds)
    .execute();
  if (rows.length > 0) await objects.delete(rows.map((r) => r.object_key));
  await deleteArtifactRows(
    ctx.database.db,
    rows.map((r) => r.id),
  );
  await ci.deleteFrom("step_summaries").where("run_id", "in", runIds).execute();
}
