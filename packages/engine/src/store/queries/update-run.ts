import type { Updateable } from "kysely";
import type { RunsTable } from "../tables.js";
import type { Db } from "./types.js";

export async function updateRun(db: Db, id: string, changes: Updateable<RunsTable>): Promise<void> {
  await db.updateTable("runs").set(changes).where("id", "=", id).execute();
}
