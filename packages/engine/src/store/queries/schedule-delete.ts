import { withScheduleTables } from "./schedule-tables.js";
import type { Db } from "./types.js";

/** Deletes schedules whose entry left its workflow. Their fire history stays (it names runs). */
export async function deleteSchedules(db: Db, ids: string[]): Promise<void> {
  const sdb = withScheduleTables(db);
  // 500 per statement keeps the parameter list far below SQLite's limit (32766).
  for (let i = 0; i < ids.length; i += 500)
    await sdb
      .deleteFrom("schedules")
      .where("id", "in", ids.slice(i, i + 500))
      .execute();
}
