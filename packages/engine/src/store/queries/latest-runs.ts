import type { RunSummaryRow } from "./list-runs.js";
import type { Db } from "./types.js";

/** Each workflow's newest run, in one query on the (workflow, created_at) index. */
export async function latestRunPerWorkflow(db: Db): Promise<Map<string, RunSummaryRow>> {
  const newest = db
    .selectFrom("runs")
    .select(["workflow", db.fn.max("created_at").as("created_at")])
    .groupBy("workflow")
    .as("newest");
  const rows = await db
    .selectFrom("runs")
    .innerJoin(newest, (join) =>
      join.onRef("runs.workflow", "=", "newest.workflow").onRef("runs.created_at", "=", "newest.created_at"),
    )
    .select([
      "runs.id",
      "runs.workflow",
      "runs.status",
      "runs.trigger_json",
      "runs.created_at",
      "runs.started_at",
      "runs.finished_at",
    ])
    .execute();
  return new Map(rows.map((r) => [r.workflow, r]));
}
