import type { Db } from "./types.js";

/**
 * A worker's heartbeat: extends the lease of the jobs it holds. With `ids`, only of those (the ones it
 * is running): a job whose claim committed but whose answer a dropped connection lost is then left to
 * the reaper, instead of being renewed for as long as the worker lives. Returns the ids renewed: a job
 * missing from them is no longer this worker's (reaped after its lease ran out), and its step must stop.
 */
export async function renewLeases(
  db: Db,
  workerId: string,
  leaseUntil: number,
  ids?: number[],
): Promise<number[]> {
  let query = db
    .updateTable("jobs")
    .set({ lease_until: leaseUntil })
    .where("worker_id", "=", workerId)
    .where("status", "=", "running");
  if (ids) query = query.where("id", "in", ids);
  const rows = await query.returning("id").execute();
  return rows.map((r) => Number(r.id));
}
