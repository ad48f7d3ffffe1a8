import { withTriggerTables } from "./trigger-tables.js";
import type { Db } from "./types.js";

/** A trigger's checkpoints by name (a Kinesis shard id, `finished_at` for a chain). */
export async function getTriggerCheckpoints(db: Db, triggerId: string): Promise<Map<string, string>> {
  const rows = await withTriggerTables(db)
    .selectFrom("trigger_checkpoints")
    .select(["name", "value"])
    .where("trigger_id", "=", triggerId)
    .execute();
  return new Map(rows.map((r) => [r.name, r.value]));
}

export async function setTriggerCheckpoints(
  db: Db,
  triggerId: string,
  values: Record<string, string>,
  now: number,
): Promise<void> {
  const tdb = withTriggerTables(db);
  for (const [name, value] of Object.entries(values)) {
    await tdb
      .insertInto("trigger_checkpoints")
      .values({ trigger_id: triggerId, name, value, updated_at: now })
      .onConflict((oc) => oc.columns(["trigger_id", "name"]).doUpdateSet({ value, updated_at: now }))
      .execute();
  }
}
