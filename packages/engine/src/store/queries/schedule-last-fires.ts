import { type ScheduleFireRow, withScheduleTables } from "./schedule-tables.js";
import type { Db } from "./types.js";

/**
 * The latest fire of each of these schedules: one primary-key probe per schedule (newest first), which
 * stays cheap however long the history grows, where a GROUP BY would read all of it.
 */
export async function lastScheduleFires(db: Db, ids: string[]): Promise<Map<string, ScheduleFireRow>> {
  const sdb = withScheduleTables(db);
  const result = new Map<string, ScheduleFireRow>();
  // 500 per query keeps each statement's parameter list far below SQLite's limit (32766).
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await sdb
      .selectFrom("schedule_fires as f")
      .selectAll("f")
      .where("f.schedule_id", "in", chunk)
      .where((eb) =>
        eb(
          "f.scheduled_at",
          "=",
          eb
            .selectFrom("schedule_fires as g")
            .select((g) => g.fn.max("g.scheduled_at").as("at"))
            .whereRef("g.schedule_id", "=", "f.schedule_id"),
        ),
      )
      .execute();
    for (const row of rows) {
      const seen = result.get(row.schedule_id);
      // A manual and a cron fire at the same millisecond: either will do; prefer the cron one.
      if (!seen || row.kind === "cron") result.set(row.schedule_id, row);
    }
  }
  return result;
}
