import type { Db } from "./types.js";

/** A worker's heartbeat: extends the lease of every job it holds. */
export async function renewLeases(db: Db, workerId: string, leaseUntil: number): Promise<void> {
  await db
    .updateTable("jobs")
    .set({ lease_until: leaseUntil })
    .where("worker_id", "=", workerId)
    .where("status", "=", "running")
    .execute();
}
