import { withAuthTables } from "./auth-tables.js";
import type { Db } from "./types.js";

/** Records a key's use; skipped when it was recorded less than `granularityMs` ago (one write a minute). */
export async function touchApiKey(db: Db, id: string, now: number, granularityMs: number): Promise<void> {
  await withAuthTables(db)
    .updateTable("api_keys")
    .set({ last_used_at: now })
    .where("id", "=", id)
    .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", now - granularityMs)]))
    .execute();
}
