import { type ScheduleFireRow, withScheduleTables } from "./schedule-tables.js";
import type { Db } from "./types.js";

/** A schedule's fires, newest scheduled time first; `before` pages (a scheduled time, exclusive). */
export async function listScheduleFires(
  db: Db,
  scheduleId: string,
  options: { limit: number; before?: number },
): Promise<ScheduleFireRow[]> {
  let query = withScheduleTables(db)
    .selectFrom("schedule_fires")
    .selectAll()
    .where("schedule_id", "=", scheduleId)
    .orderBy("scheduled_at", "desc")
    .orderBy("kind")
    .limit(options.limit);
  if (options.before !== undefined) query = query.where("scheduled_at", "<", options.before);
  return query.execute();
}
