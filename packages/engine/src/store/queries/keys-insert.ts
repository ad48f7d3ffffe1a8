import { type ApiKeyRow, withAuthTables } from "./auth-tables.js";
import type { Db } from "./types.js";

export async function insertApiKey(db: Db, row: ApiKeyRow): Promise<void> {
  await withAuthTables(db).insertInto("api_keys").values(row).execute();
}
