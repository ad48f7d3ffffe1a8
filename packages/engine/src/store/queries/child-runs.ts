import type { Selectable } from "kysely";
import type { RunsTable } from "../tables.js";
import type { Db } from "./types.js";

type ChildRow = Pick<
  Selectable<RunsTable>,
  "id" | "status" | "trigger_json" | "parent_run_id" | "created_at"
>;

/** Sub-workflow runs that have not ended (`pending` in a concurrency group counts), oldest first. */
export async function activeChildRuns(db: Db, limit = 500): Promise<ChildRow[]> {
  return db
    .selectFrom("runs")
    .select(["id", "status", "trigger_json", "parent_run_id", "created_at"])
    .where("trigger_type", "=", "workflow_call")
    .where("status", "in", ["pending", "queued", "running", "waiting"])
    .orderBy("created_at")
    .limit(limit)
    .execute();
}

/** The sub-workflow runs a run started, whatever their status. */
export async function childRunsOf(db: Db, parentId: string): Promise<ChildRow[]> {
  return db
    .selectFrom("runs")
    .select(["id", "status", "trigger_json", "parent_run_id", "created_at"])
    .where("parent_run_id", "=", parentId)
    .where("trigger_type", "=", "workflow_call")
    .orderBy("created_at")
    .execute();
}

/**
 * Whether the sub-workflow sweep has anything to look at (a parked parent step, a child not ended): one
 * statement, so an idle deployment's beat costs one, not the two lists.
 */
export async function subWorkflowsPending(db: Db): Promise<{ waiting: boolean; children: boolean }> {
  const row = await db
    .selectNoFrom((eb) => [
      eb.exists(eb.selectFrom("jobs").select("id").where("status", "=", "waiting")).as("waiting"),
      eb
        .exists(
          eb
            .selectFrom("runs")
            .select("id")
            .where("trigger_type", "=", "workflow_call")
            .where("status", "in", ["pending", "queued", "running", "waiting"]),
        )
        .as("children"),
    ])
    .executeTakeFirstOrThrow();
  // SQLite answers 0/1, Postgres true/false.
  return { waiting: Boolean(row.waiting), children: Boolean(row.children) };
}
