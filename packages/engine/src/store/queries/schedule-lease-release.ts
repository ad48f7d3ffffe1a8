import { withScheduleTables } from "./schedule-tables.js";
import type { Db } from "./types.js";

/** Gives a lease up (on a clean stop), so another server can take it at once rather than at expiry. */
export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await withScheduleTables(db)
    .deleteFrom("leases")
    .where("name", "=", name)
    .where("holder", "=", holder)
    .execute();
}
