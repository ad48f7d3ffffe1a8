import { type ApiKeyRow, withAuthTables } from "./auth-tables.js";
import type { Db } from "./types.js";

/** The key with this hash, whatever its state; the caller decides about revoked and expired keys. */
export async function findApiKeyByHash(db: Db, hash: string): Promise<ApiKeyRow | undefined> {
  return withAuthTables(db).selectFrom("api_keys").selectAll().where("hash", "=", hash).executeTakeFirst();
}

/** The key with this id, whatever its state (a session signed in with a key checks it on each request). */
export async function findApiKeyById(db: Db, id: string): Promise<ApiKeyRow | undefined> {
  return withAuthTables(db).selectFrom("api_keys").selectAll().where("id", "=", id).executeTakeFirst();
}
