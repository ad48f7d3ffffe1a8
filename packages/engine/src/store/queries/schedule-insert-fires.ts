import type { Insertable } from "kysely";
import { type ScheduleFiresTable, withScheduleTables } from "./schedule-tables.js";
import type { Db } from "./types.js";

/**
 * Records fires. A second row for the same (schedule, scheduled time, kind) violates the primary key
 * and fails the whole transaction, with the run it was about to create: that is the exactly-once rule.
 */
export async function insertScheduleFires(db: Db, rows: Insertable<ScheduleFiresTable>[]): Promise<void> {
  if (rows.length === 0) return;
  await withScheduleTables(db).insertInto("schedule_fires").values(rows).execute();
}
