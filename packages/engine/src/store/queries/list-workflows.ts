import type { Selectable } from "kysely";
import type { WorkflowsTable } from "../tables.js";
import type { Db } from "./types.js";

export async function listWorkflows(db: Db): Promise<Selectable<WorkflowsTable>[]> {
  return db.selectFrom("workflows").selectAll().orderBy("name").execute();
}
