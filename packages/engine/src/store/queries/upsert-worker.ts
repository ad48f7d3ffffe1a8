import type { Insertable } from "kysely";
import type { WorkersTable } from "../tables.js";
import type { Db } from "./types.js";

export async function upsertWorker(db: Db, row: Insertable<WorkersTable>): Promise<void> {
  await db
    .insertInto("workers")
    .values(row)
    .onConflict((oc) =>
      oc.column("id").doUpdateSet({
        heartbeat_at: row.heartbeat_at,
        capacity: row.capacity,
        ...(row.kind !== undefined ? { kind: row.kind } : {}),
        ...(row.version !== undefined ? { version: row.version } : {}),
      }),
    )
    .execute();
}
