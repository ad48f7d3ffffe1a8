import type { Selectable } from "kysely";
import type { Dialect } from "../database.js";
import type { RunsTable } from "../tables.js";
import type { Db } from "./types.js";

/**
 * Reads a run inside a transaction and holds its row lock until the transaction ends, so two workers
 * finishing steps of the same run apply their results one after the other. SQLite has one writer at a
 * time already, so a plain read is enough there.
 */
export async function lockRun(
  db: Db,
  dialect: Dialect,
  id: string,
): Promise<Selectable<RunsTable> | undefined> {
  const query = db.selectFrom("runs").selectAll().where("id", "=", id);
  return (dialect === "postgres" ? query.forUpdate() : query).executeTakeFirst();
}
