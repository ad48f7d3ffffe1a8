import type { Updateable } from "kysely";
import { type TriggersTable, withTriggerTables } from "./trigger-tables.js";
import type { Db } from "./types.js";

export type TriggerStateUpdate = Pick<
  Updateable<TriggersTable>,
  "state" | "holder" | "connected_at" | "last_error" | "last_error_at"
>;

/** A listener's state as its leader sees it (what GET /api/v1/triggers shows). */
export async function setTriggerState(
  db: Db,
  id: string,
  update: TriggerStateUpdate,
  now: number,
): Promise<void> {
  await withTriggerTables(db)
    .updateTable("triggers")
    .set({ ...update, state_at: now })
    .where("id", "=", id)
    .execute();
}

/** Counts an event, in the transaction that recorded it. */
export async function countTriggerEvent(
  db: Db,
  id: string,
  event: { at: number; runId: string | null; failed: boolean },
): Promise<void> {
  await withTriggerTables(db)
    .updateTable("triggers")
    .set((eb) => ({
      last_event_at: event.at,
      last_run_id: event.runId,
      events: eb("events", "+", 1),
      ...(event.failed ? { failures: eb("failures", "+", 1) } : {}),
    }))
    .where("id", "=", id)
    .execute();
}
