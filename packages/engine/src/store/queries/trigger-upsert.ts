import type { Insertable } from "kysely";
import { type TriggersTable, withTriggerTables } from "./trigger-tables.js";
import type { Db } from "./types.js";

export type TriggerDefinition = Pick<
  Insertable<TriggersTable>,
  "id" | "workflow" | "kind" | "position" | "config_json" | "inputs_json"
>;

/**
 * Writes triggers' definitions. A new one starts `stopped`; an existing one keeps the state its
 * listener wrote (the definition changing does not erase its history).
 */
export async function upsertTriggers(db: Db, rows: TriggerDefinition[], now: number): Promise<void> {
  const tdb = withTriggerTables(db);
  for (const row of rows) {
    await tdb
      .insertInto("triggers")
      .values({
        ...row,
        created_at: now,
        updated_at: now,
        state: "stopped",
        state_at: now,
        events: 0,
        failures: 0,
      })
      .onConflict((oc) =>
        oc.column("id").doUpdateSet({
          workflow: row.workflow,
          kind: row.kind,
          position: row.position,
          config_json: row.config_json,
          inputs_json: row.inputs_json,
          updated_at: now,
        }),
      )
      .execute();
  }
}
