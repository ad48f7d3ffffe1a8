import type { Selectable } from "kysely";
import type { JobsTable } from "../tables.js";
import type { Db } from "./types.js";

/** Running jobs whose worker stopped renewing the lease: the worker died or lost the database. */
export async function expiredJobs(db: Db, now: number, limit = 100): Promise<Selectable<JobsTable>[]> {
  return db
    .selectFrom("jobs")
    .selectAll()
    .where("status", "=", "running")
    .where("lease_until", "<", now)
    .orderBy("lease_until")
    .limit(limit)
    .execute();
}
