import type { Db } from "./types.js";

const FINISHED = ["succeeded", "failed", "cancelled", "timed_out", "skipped"];

/** The newest finished runs of a workflow (status and the run's `github` context, for its branch). */
export async function latestFinishedRuns(
  db: Db,
  workflow: string,
  limit: number,
): Promise<Array<{ id: string; status: string; info_json: string }>> {
  return db
    .selectFrom("runs")
    .select(["id", "status", "info_json"])
    .where("workflow", "=", workflow)
    .where("status", "in", FINISHED)
    .orderBy("created_at", "desc")
    .limit(limit)
    .execute();
}
