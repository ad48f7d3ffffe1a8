import { type ScheduleRow, withScheduleTables } from "./schedule-tables.js";
import type { Db } from "./types.js";

/** Every schedule, by workflow then position in its `on.schedule`. */
export async function listSchedules(db: Db, options: { workflow?: string } = {}): Promise<ScheduleRow[]> {
  let query = withScheduleTables(db).selectFrom("schedules").selectAll();
  if (options.workflow !== undefined) query = query.where("workflow", "=", options.workflow);
  return query.orderBy("workflow").orderBy("position").execute();
}
