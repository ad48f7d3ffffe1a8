import type { Insertable } from "kysely";
import { type SourcesTable, withSourceTables } from "./source-tables.js";
import type { Db } from "./types.js";

/** Writes a source's whole sync state (one row per source; the syncer of that source owns it). */
export async function upsertSource(db: Db, row: Insertable<SourcesTable>): Promise<void> {
  const { name: _name, ...update } = row;
  await withSourceTables(db)
    .insertInto("sources")
    .values(row)
    .onConflict((oc) => oc.column("name").doUpdateSet(update))
    .execute();
}
