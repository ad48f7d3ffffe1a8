import type { Db } from "./types.js";

/** Runs of a workflow that finished at or after `since`, oldest first (a workflow chain's events). */
export async function finishedRunsSince(db: Db, workflow: string, since: number, limit: number) {
  return db
    .selectFrom("runs")
    .select(["id", "workflow", "status", "outputs_json", "trigger_json", "finished_at", "attempt"])
    .where("workflow", "=", workflow)
    .where("finished_at", ">=", since)
    .where("status", "in", ["succeeded", "failed", "timed_out", "cancelled"])
    .orderBy("finished_at")
    .orderBy("id")
    .limit(limit)
    .execute();
}
