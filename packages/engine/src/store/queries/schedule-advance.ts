import { withScheduleTables } from "./schedule-tables.js";
import type { Db } from "./types.js";

/**
 * Records schedules' progress: every cron time up to `until` is handled. Never moves backwards, so a
 * late duplicate of this update (a second scheduler) cannot re-open times already handled. One
 * statement for many schedules: those that fired together share `until`.
 */
export async function advanceSchedules(db: Db, ids: string[], until: number): Promise<void> {
  const sdb = withScheduleTables(db);
  // 500 per statement keeps the parameter list far below SQLite's limit (32766).
  for (let i = 0; i < ids.length; i += 500) {
    await sdb
      .updateTable("schedules")
      .set({ handled_until: until })
      .where("id", "in", ids.slice(i, i + 500))
      .where("handled_until", "<", until)
      .execute();
  }
}
