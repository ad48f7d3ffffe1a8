import type { Selectable } from "kysely";
import type { JobsTable } from "../tables.js";
import type { Db } from "./types.js";

export async function runJobs(db: Db, runId: string): Promise<Selectable<JobsTable>[]> {
  return db.selectFrom("jobs").selectAll().where("run_id", "=", runId).execute();
}
