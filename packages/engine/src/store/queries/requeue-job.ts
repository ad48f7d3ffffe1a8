import type { Db } from "./types.js";

/** Puts a running job back in the queue, due at `now`, held by no worker (the same attempt runs again). */
export async function requeueJob(db: Db, id: number, now: number): Promise<void> {
  await db
    .updateTable("jobs")
    .set({ status: "queued", worker_id: null, lease_until: null, available_at: now })
    .where("id", "=", id)
    .execute();
}
