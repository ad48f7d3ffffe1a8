import type { Insertable } from "kysely";
import { type ArtifactRow, type ArtifactsTable, withCiTables } from "./ci-results-tables.js";
import type { Db } from "./types.js";

/**
 * Records an uploaded artifact. A name is unique in a run: the same step uploading it again (a retried
 * attempt) replaces its record; another step's upload of the name is refused (returns false).
 */
export async function recordArtifact(db: Db, row: Insertable<ArtifactsTable>): Promise<boolean> {
  const ci = withCiTables(db);
  const existing = await ci
    .selectFrom("artifacts")
    .select(["id", "step"])
    .where("run_id", "=", row.run_id)
    .where("name", "=", row.name)
    .executeTakeFirst();
  if (existing && existing.step !== row.step) return false;
  if (existing) await ci.deleteFrom("artifacts").where("id", "=", existing.id).execute();
  await ci.insertInto("artifacts").values(row).execute();
  return true;
}

export async function listArtifacts(db: Db, runId: string): Promise<ArtifactRow[]> {
  return withCiTables(db)
    .selectFrom("artifacts")
    .selectAll()
    .where("run_id", "=", runId)
    .orderBy("created_at")
    .orderBy("name")
    .execute();
}

export async function getArtifact(db: Db, runId: string, name: string): Promise<ArtifactRow | undefined> {
  return withCiTables(db)
    .selectFrom("artifacts")
    .selectAll()
    .where("run_id", "=", runId)
    .where("name", "=", name)
    .executeTakeFirst();
}

/** The artifact `name` of the newest succeeded run of `workflow` on `branch`, other than `excludeRun`. */
export async function latestSucceededArtifact(
  db: Db,
  q: { workflow: string; branch: string; name: string; excludeRun: string },
): Promise<ArtifactRow | undefined> {
  return withCiTables(db)
    .selectFrom("artifacts")
    .innerJoin("runs", "runs.id", "artifacts.run_id")
    .selectAll("artifacts")
    .where("artifacts.workflow", "=", q.workflow)
    .where("artifacts.branch", "=", q.branch)
    .where("artifacts.name", "=", q.name)
    .where("artifacts.run_id", "<>", q.excludeRun)
    .where("runs.status", "=", "succeeded")
    .orderBy("artifacts.created_at", "desc")
    .limit(1)
    .executeTakeFirst();
}

/** Up to `limit` artifacts whose retention ended before `now`. */
export async function expiredArtifacts(db: Db, now: number, limit: number): Promise<ArtifactRow[]> {
  return withCiTables(db)
    .selectFrom("artifacts")
    .selectAll()
    .where("expires_at", "is not", null)
    .where("expires_at", "<", now)
    .limit(limit)
    .execute();
}

export async function deleteArtifactRows(db: Db, ids: string[]): Promise<void> {
  if (ids.length > 0) await withCiTables(db).deleteFrom("artifacts").where("id", "in", ids).execute();
}
