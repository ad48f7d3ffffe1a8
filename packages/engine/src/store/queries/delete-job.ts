import type { Db } from "./types.js";

/**
 * What a finishing job must still be for its result to count (fencing): held by this worker, and, for
 * the reaper, still past its lease (its worker may have renewed it since the reaper looked).
 */
export interface JobFence {
  workerId?: string;
  expiredBefore?: number;
}

/** Deletes a job; false when it was gone already (another process finished or reaped it) or is fenced off. */
export async function deleteJob(db: Db, id: number, fence: JobFence = {}): Promise<boolean> {
  let query = db.deleteFrom("jobs").where("id", "=", id);
  if (fence.workerId !== undefined) query = query.where("worker_id", "=", fence.workerId);
  if (fence.expiredBefore !== undefined) query = query.where("lease_until", "<", fence.expiredBefore);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
