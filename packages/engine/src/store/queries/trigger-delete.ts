import { withTriggerTables } from "./trigger-tables.js";
import type { Db } from "./types.js";

/** Removes triggers whose entries are gone, with their checkpoints. Their event history stays. */
export async function deleteTriggers(db: Db, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const tdb = withTriggerTables(db);
  await tdb.deleteFrom("trigger_checkpoints").where("trigger_id", "in", ids).execute();
  await tdb.deleteFrom("triggers").where("id", "in", ids).execute();
}
