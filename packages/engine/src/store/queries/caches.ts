import type { Insertable } from "kysely";
import { sql } from "kysely";
import { type CacheRow, type CachesTable, withCiTables } from "./ci-results-tables.js";
import type { Db } from "./types.js";

/** The entry of exactly `key` in a scope. */
export async function findCacheByKey(
  db: Db,
  namespace: string,
  scope: string,
  key: string,
): Promise<CacheRow | undefined> {
  return withCiTables(db)
    .selectFrom("caches")
    .selectAll()
    .where("namespace", "=", namespace)
    .where("scope", "=", scope)
    .where("key", "=", key)
    .executeTakeFirst();
}

/** The newest entry of a scope whose key starts with `prefix` (compared as text, no wildcards). */
export async function findCacheByPrefix(
  db: Db,
  namespace: string,
  scope: string,
  prefix: string,
): Promise<CacheRow | undefined> {
  return withCiTables(db)
    .selectFrom("caches")
    .selectAll()
    .where("namespace", "=", namespace)
    .where("scope", "=", scope)
    .where(sql<boolean>`substr(key, 1, ${[...prefix].length}) = ${prefix}`)
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
}

export async function touchCache(db: Db, id: string, now: number): Promise<void> {
  await withCiTables(db).updateTable("caches").set({ last_used_at: now }).where("id", "=", id).execute();
}

/** Records a saved entry; false when one with the same key appeared meanwhile (that one stays). */
export async function insertCache(db: Db, row: Insertable<CachesTable>): Promise<boolean> {
  const result = await withCiTables(db)
    .insertInto("caches")
    .values(row)
    .onConflict((oc) => oc.columns(["namespace", "scope", "key"]).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** A namespace's entries, least recently used first: what eviction walks. */
export async function cachesByUse(db: Db, namespace: string): Promise<CacheRow[]> {
  return withCiTables(db)
    .selectFrom("caches")
    .selectAll()
    .where("namespace", "=", namespace)
    .orderBy("last_used_at")
    .orderBy("created_at")
    .execute();
}

export async function deleteCacheRows(db: Db, ids: string[]): Promise<void> {
  if (ids.length > 0) await withCiTables(db).deleteFrom("caches").where("id", "in", ids).execute();
}
