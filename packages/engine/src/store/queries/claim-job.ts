import type { Selectable } from "kysely";
import type { Dialect } from "../database.js";
import type { JobsTable } from "../tables.js";
import { claimJobs } from "./claim-jobs.js";
import type { Db } from "./types.js";

/**
 * Takes the next queued job this worker may run, leasing it until `leaseUntil`: `claimJobs` for one.
 * A job matches when the worker has every label the job asks for.
 */
export async function claimJob(
  db: Db,
  dialect: Dialect,
  worker: { id: string; labels: string[] },
  now: number,
  leaseUntil: number,
): Promise<Selectable<JobsTable> | undefined> {
  return (await claimJobs(db, dialect, worker, now, leaseUntil, 1))[0];
}
