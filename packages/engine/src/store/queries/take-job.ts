import type { Insertable, Selectable } from "kysely";
import type { JobsTable } from "../tables.js";
import type { Db } from "./types.js";

/**
 * Inserts a job already claimed by `workerId` (leased until `leaseUntil`) and returns it: the worker
 * that finished a step takes the successor it can run itself, with no trip through the queue (no
 * NOTIFY, no claim, no second transaction to start it).
 */
export async function takeJob(
  db: Db,
  job: Insertable<JobsTable>,
  workerId: string,
  leaseUntil: number,
): Promise<Selectable<JobsTable>> {
  return db
    .insertInto("jobs")
    .values({ ...job, status: "running", worker_id: workerId, lease_until: leaseUntil })
    .returningAll()
    .executeTakeFirstOrThrow();
}
