import type { Insertable } from "kysely";
import type { JobsTable } from "../tables.js";
import type { Db } from "./types.js";

export async function enqueueJobs(db: Db, jobs: Insertable<JobsTable>[]): Promise<void> {
  if (jobs.length === 0) return;
  await db.insertInto("jobs").values(jobs).execute();
}
