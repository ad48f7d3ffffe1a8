import type { Insertable } from "kysely";
import type { RunsTable } from "../tables.js";
import type { Db } from "./types.js";

export async function insertRun(db: Db, row: Insertable<RunsTable>): Promise<void> {
  await db.insertInto("runs").values(row).execute();
}
