import { TERMINAL_RUN_STATUSES } from "@gantry/core";
import type { Db } from "./types.js";

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
    .where("status", "in", [...TERMINAL_RUN_STATUSES])
    .orderBy("created_at", "desc")
    .limit(limit)
    .execute();
}
