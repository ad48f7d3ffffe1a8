import { type ApiKeyRow, withAuthTables } from "./auth-tables.js";
import type { Db } from "./types.js";

/** Every key, newest first, revoked ones included (the list shows them as revoked). */
export async function listApiKeys(db: Db): Promise<ApiKeyRow[]> {
  return withAuthTables(db).selectFrom("api_keys").selectAll().orderBy("created_at", "desc").execute();
}
