import { TERMINAL_RUN_STATUSES } from "@gantry/core";
import { decodeRunTrigger } from "../decode/runs.js";
import type { Db } from "./types.js";

/**
 * Runs of a workflow a schedule started that have not finished. Unfinished runs are few (the runs
 * index on status keeps this a short scan), and the schedule is read from each one's trigger.
 */
export async function activeScheduleRuns(db: Db, workflow: string, scheduleId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("runs")
    .select(["id", "trigger_json"])
    .where("workflow", "=", workflow)
    .where("status", "not in", [...TERMINAL_RUN_STATUSES])
    .orderBy("created_at")
    .execute();
  return rows
    .filter((r) => {
      const trigger = decodeRunTrigger(r);
      return trigger.type === "schedule" && trigger.schedule === scheduleId;
    })
    .map((r) => r.id);
}
