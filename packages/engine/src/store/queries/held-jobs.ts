import type { Selectable } from "kysely";
import type { JobsTable } from "../tables.js";
import type { Db } from "./types.js";

/**
 * The running jobs a worker holds with a lease beyond `leasedBeyond`: a worker looks for them after a
 * claim or finish whose answer was lost. A job nearer the end of its lease is left to the reaper, which
 * may be queueing its next try.
 */
export async function heldJobs(
  db: Db,
  workerId: string,
  leasedBeyond: number,
): Promise<Selectable<JobsTable>[]> {
  return db
    .selectFrom("jobs")
    .selectAll()
    .where("worker_id", "=", workerId)
    .where("status", "=", "running")
    .where("lease_until", ">", leasedBeyond)
    .execute();
}
