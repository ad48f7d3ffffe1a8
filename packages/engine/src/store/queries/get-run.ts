import type { Selectable } from "kysely";
import type { RunsTable } from "../tables.js";
import type { Db } from "./types.js";

export async function getRun(db: Db, id: string): Promise<Selectable<RunsTable> | undefined> {
  return db.selectFrom("runs").selectAll().where("id", "=", id).executeTakeFirst();
}
