import type { Selectable } from "kysely";
import type { JobsTable } from "../tables.js";
import type { Db } from "./types.js";

/** Jobs parked as `waiting`: sub-workflow steps whose child run has not finished them yet. */
export async function waitingJobs(db: Db, limit = 500): Promise<Selectable<JobsTable>[]> {
  return db
    .selectFrom("jobs")
    .selectAll()
    .where("status", "=", "waiting")
    .orderBy("id")
    .limit(limit)
    .execute();
}
