import type { Selectable } from "kysely";
import type { Database } from "../database.js";
import { GroupCommit, type GroupCommits } from "../group-commit.js";
import type { WorkflowsTable } from "../tables.js";
import type { Db } from "./types.js";

type WorkflowRow = Selectable<WorkflowsTable>;

export async function getWorkflow(db: Db, name: string): Promise<Selectable<WorkflowsTable> | undefined> {
  return db.selectFrom("workflows").selectAll().where("name", "=", name).executeTakeFirst();
}

/**
 * getWorkflow for callers that each need one row at about the same time (API requests starting runs):
 * those asking while others' reads are under way are answered by one read of them all. A read is sent
 * after its caller asked, so it sees every change committed before.
 */
export function getWorkflowGrouped(
  groups: GroupCommits,
  database: Database,
  name: string,
): Promise<WorkflowRow | undefined> {
  const group = groups.of(
    "workflow-reads",
    database,
    () =>
      new GroupCommit(
        async (names: string[]) => {
          const rows = new Map(
            (await getWorkflows(database.db, [...new Set(names)])).map((row) => [row.name, row] as const),
          );
          return names.map((n) => rows.get(n));
        },
        { maxItems: 200, maxInFlight: 2 },
      ),
  );
  return group.add(name);
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
