import type { Insertable } from "kysely";
import { type SchedulesTable, withScheduleTables } from "./schedule-tables.js";
import type { Db } from "./types.js";

/** Every column an update replaces: not the id, not created_at, and not the progress. */
const UPDATED = [
  "workflow",
  "position",
  "cron",
  "timezone",
  "inputs_json",
  "concurrency",
  "starting_deadline_ms",
  "catch_up",
  "suspend_file",
  "suspended",
  "updated_at",
] as const;

/**
 * Inserts schedules, or replaces the definition and state of existing ones. `handled_until` is left
 * alone on an update: only advanceSchedules moves it, and only forwards. 500 rows per statement keep
 * the parameters far below SQLite's limit (32766).
 */
export async function upsertSchedules(db: Db, rows: Insertable<SchedulesTable>[]): Promise<void> {
  const sdb = withScheduleTables(db);
  for (let i = 0; i < rows.length; i += 500) {
    await sdb
      .insertInto("schedules")
      .values(rows.slice(i, i + 500))
      .onConflict((oc) =>
        oc
          .column("id")
          .doUpdateSet((eb) => Object.fromEntries(UPDATED.map((c) => [c, eb.ref(`excluded.${c}`)]))),
      )
      .execute();
  }
}
