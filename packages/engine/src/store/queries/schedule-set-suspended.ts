import { withScheduleTables } from "./schedule-tables.js";
import type { Db } from "./types.js";

/**
 * Suspends or resumes a schedule. Resuming moves `handled_until` up to now: the times that passed while
 * it was suspended are dropped, not caught up. False when there is no such schedule.
 */
export async function setScheduleSuspended(
  db: Db,
  id: string,
  suspended: boolean,
  now: number,
): Promise<boolean> {
  const sdb = withScheduleTables(db);
  const row = await sdb
    .selectFrom("schedules")
    .select(["handled_until"])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) return false;
  await sdb
    .updateTable("schedules")
    .set({
      suspended: suspended ? 1 : 0,
      updated_at: now,
      ...(suspended ? {} : { handled_until: Math.max(Number(row.handled_until), now) }),
    })
    .where("id", "=", id)
    .execute();
  return true;
}
