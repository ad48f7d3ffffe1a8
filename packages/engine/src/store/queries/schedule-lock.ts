import type { Dialect } from "../database.js";
import { type ScheduleRow, withScheduleTables } from "./schedule-tables.js";
import type { Db } from "./types.js";

/**
 * Reads schedules inside a transaction and holds their row locks until it ends, so a second scheduler
 * that believes it leads (its lease ran out while it was paused) waits here and then sees the first one's
 * progress. Locked in id order, so two transactions never wait on each other in a cycle. SQLite has one
 * writer at a time already.
 */
export async function lockSchedules(db: Db, dialect: Dialect, ids: string[]): Promise<ScheduleRow[]> {
  if (ids.length === 0) return [];
  const query = withScheduleTables(db)
    .selectFrom("schedules")
    .selectAll()
    .where("id", "in", ids)
    .orderBy("id");
  return (dialect === "postgres" ? query.forUpdate() : query).execute();
}
