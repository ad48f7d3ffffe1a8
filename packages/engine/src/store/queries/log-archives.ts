import type { Insertable, Selectable } from "kysely";
import type { LogArchivesTable } from "../tables.js";
import type { Db } from "./types.js";

export type LogArchiveRow = Selectable<LogArchivesTable>;

export async function insertLogArchive(db: Db, row: Insertable<LogArchivesTable>): Promise<void> {
  await db
    .insertInto("log_archives")
    .values(row)
    .onConflict((oc) => oc.columns(["run_id", "step", "item_index", "attempt"]).doNothing())
    .execute();
}

/** Archived step attempts of a run holding lines after `after`. */
export async function listLogArchives(
  db: Db,
  runId: string,
  options: { after?: number; step?: string } = {},
): Promise<LogArchiveRow[]> {
  let query = db.selectFrom("log_archives").selectAll().where("run_id", "=", runId);
  if (options.after !== undefined) query = query.where("last_offset", ">", options.after);
  if (options.step !== undefined) query = query.where("step", "=", options.step);
  return query.orderBy("first_offset").execute();
}
