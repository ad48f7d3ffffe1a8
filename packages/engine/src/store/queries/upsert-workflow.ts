import type { Insertable } from "kysely";
import type { WorkflowsTable } from "../tables.js";
import type { Db } from "./types.js";

export async function upsertWorkflow(db: Db, row: Insertable<WorkflowsTable>): Promise<void> {
  await db
    .insertInto("workflows")
    .values(row)
    .onConflict((oc) =>
      oc.column("name").doUpdateSet({
        source: row.source,
        file: row.file,
        revision: row.revision,
        definition_json: row.definition_json,
        input_schema_json: row.input_schema_json,
        description: row.description ?? null,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}
