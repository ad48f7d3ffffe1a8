import { type SourceRow, withSourceTables } from "./source-tables.js";
import type { Db } from "./types.js";

export async function getSource(db: Db, name: string): Promise<SourceRow | undefined> {
  return withSourceTables(db).selectFrom("sources").selectAll().where("name", "=", name).executeTakeFirst();
}

export async function listSources(db: Db): Promise<SourceRow[]> {
  return withSourceTables(db).selectFrom("sources").selectAll().orderBy("name").execute();
}
