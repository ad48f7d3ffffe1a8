import { TERMINAL_RUN_STATUSES } from "@gantry/core";
import type { Db } from "./types.js";

/** A skipped run never started, so it ends no workflow chain. */
const CHAIN_STATUSES = TERMINAL_RUN_STATUSES.filter((status) => status !== "skipped");

/** Runs of a workflow that finished at or after `since`, oldest first (a workflow chain's events). */
export async function finishedRunsSince(db: Db, workflow: string, since: number, limit: number) {
  return db
    .selectFrom("runs")
    .select(["id", "workflow", "status", "outputs_json", "trigger_json", "finished_at", "attempt"])
    .where("workflow", "=", workflow)
    .where("finished_at", ">=", since)
    .where("status", "in", CHAIN_STATUSES)
    .orderBy("finished_at")
    .orderBy("id")
    .limit(limit)
    .execute();
}
