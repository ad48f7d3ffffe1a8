import type { Db } from "./types.js";

/**
 * A worker's heartbeat: extends the lease of the jobs it holds. With `ids`, only of those (the ones it
 * is running): a job whose claim committed but whose answer a dropped connection lost is then left to
 * the reaper, instead of being renewed for as long as the worker lives.
 */
export async function renewLeases(
  db: Db,
  workerId: string,
  leaseUntil: number,
  ids?: number[],
): Promise<void> {
  let query = db
    .updateTable("jobs")
    .set({ lease_until: leaseUntil })
    .where("worker_id", "=", workerId)
    .where("status", "=", "running");
  if (ids) query = query.where("id", "in", ids);
  await query.execute();
}
