import { withScheduleTables } from "./schedule-tables.js";
import type { Db } from "./types.js";

/** The listeners' leases (`trigger:<id>` in `leases`), by trigger id: when each runs out. */
export async function triggerLeases(db: Db): Promise<Map<string, { holder: string; expiresAt: number }>> {
  const rows = await withScheduleTables(db)
    .selectFrom("leases")
    .select(["name", "holder", "expires_at"])
    .where("name", "like", "trigger:%")
    .execute();
  return new Map(rows.map((r) => [r.name.slice(8), { holder: r.holder, expiresAt: Number(r.expires_at) }]));
}
