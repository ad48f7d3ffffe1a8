import { sql } from "kysely";
import { withScheduleTables } from "./schedule-tables.js";
import type { Db } from "./types.js";

/**
 * A cheap fingerprint of the schedules' definitions and states: it changes when a schedule is added,
 * removed, changed, suspended or resumed (each bumps `updated_at`), not when one fires. The leading
 * scheduler compares it at each lease renewal to notice changes made by another server.
 */
export async function scheduleSignature(db: Db): Promise<string> {
  const row = await withScheduleTables(db)
    .selectFrom("schedules")
    .select([
      sql<string>`count(*)`.as("n"),
      sql<string>`coalesce(sum(updated_at), 0)`.as("total"),
      sql<string>`coalesce(max(updated_at), 0)`.as("latest"),
    ])
    .executeTakeFirstOrThrow();
  return `${row.n}:${row.total}:${row.latest}`;
}
