import type { Selectable } from "kysely";
import type { WorkflowsTable } from "../tables.js";
import type { Db } from "./types.js";

export async function getWorkflow(db: Db, name: string): Promise<Selectable<WorkflowsTable> | undefined> {
  return db.selectFrom("workflows").selectAll().where("name", "=", name).executeTakeFirst();
}

/** Several workflows in one query (the scheduler prepares the runs of many at once). */
export async function getWorkflows(db: Db, names: string[]): Promise<Selectable<WorkflowsTable>[]> {
  if (names.length === 0) return [];
  return db.selectFrom("workflows").selectAll().where("name", "in", names).execute();
}

/** The current revision of each named workflow, by name (missing: removed). */
export async function workflowRevisions(db: Db, names: string[]): Promise<Map<string, string>> {
  if (names.length === 0) return new Map();
  const rows = await db
    .selectFrom("workflows")
    .select(["name", "revision"])
    .where("name", "in", names)
    .execute();
  return new Map(rows.map((r) => [r.name, r.revision]));
}
