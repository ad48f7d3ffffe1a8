import type { Insertable } from "kysely";
import { type TriggerEventRow, type TriggerEventsTable, withTriggerTables } from "./trigger-tables.js";
import type { Db } from "./types.js";

/** Records an event; throws a unique violation when (trigger, key) was recorded before. */
export async function insertTriggerEvent(db: Db, row: Insertable<TriggerEventsTable>): Promise<void> {
  await withTriggerTables(db).insertInto("trigger_events").values(row).execute();
}

export async function getTriggerEvent(
  db: Db,
  triggerId: string,
  key: string,
): Promise<TriggerEventRow | undefined> {
  return withTriggerTables(db)
    .selectFrom("trigger_events")
    .selectAll()
    .where("trigger_id", "=", triggerId)
    .where("event_key", "=", key)
    .executeTakeFirst();
}

/** A trigger's latest events, newest first. */
export async function recentTriggerEvents(
  db: Db,
  triggerId: string,
  limit: number,
): Promise<TriggerEventRow[]> {
  return withTriggerTables(db)
    .selectFrom("trigger_events")
    .selectAll()
    .where("trigger_id", "=", triggerId)
    .orderBy("received_at", "desc")
    .limit(limit)
    .execute();
}
