import type { Insertable } from "kysely";
import type { Dialect } from "../database.js";
import { insertMany } from "./insert-many.js";
import type { ScheduleFiresTable } from "./schedule-tables.js";
import type { Db } from "./types.js";

/**
 * Records fires. A second row for the same (schedule, scheduled time, kind) violates the primary key
 * and fails the whole transaction, with the run it was about to create: that is the exactly-once rule.
 */
export async function insertScheduleFires(
  db: Db,
  dialect: Dialect,
  rows: Insertable<ScheduleFiresTable>[],
): Promise<void> {
  await insertMany(db, dialect, { table: "schedule_fires", rows });
}
