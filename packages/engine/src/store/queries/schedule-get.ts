import { type ScheduleRow, withScheduleTables } from "./schedule-tables.js";
import type { Db } from "./types.js";

export async function getSchedule(db: Db, id: string): Promise<ScheduleRow | undefined> {
  return withScheduleTables(db).selectFrom("schedules").selectAll().where("id", "=", id).executeTakeFirst();
}
