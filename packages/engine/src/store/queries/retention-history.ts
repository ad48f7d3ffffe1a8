import { withScheduleTables } from "./schedule-tables.js";
import { withTriggerTables } from "./trigger-tables.js";
import type { Db } from "./types.js";

/**
 * Schedule fires and trigger events recorded before `before`: the history that would otherwise grow
 * forever (one row per fire, one per message). Both tables only de-duplicate recent deliveries (a fire
 * is keyed by its time, which the scheduler never revisits once past; a message is redelivered within
 * minutes, not after the retention period), so old rows carry no duty. Returns how many were deleted.
 */
export async function deleteOldHistory(db: Db, before: number): Promise<{ fires: number; events: number }> {
  const fires = await withScheduleTables(db)
    .deleteFrom("schedule_fires")
    .where("recorded_at", "<", before)
    .executeTakeFirst();
  const events = await withTriggerTables(db)
    .deleteFrom("trigger_events")
    .where("received_at", "<", before)
    .executeTakeFirst();
  return { fires: Number(fires.numDeletedRows), events: Number(events.numDeletedRows) };
}
