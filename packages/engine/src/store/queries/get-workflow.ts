import type { Selectable } from "kysely";
import type { WorkflowsTable } from "../tables.js";
import type { Db } from "./types.js";

export async function getWorkflow(db: Db, name: string): Promise<Selectable<WorkflowsTable> | undefined> {
  return db.selectFrom("workflows").selectAll().where("name", "=", name).executeTakeFirst();
}
