import type { Db } from "./types.js";

/** Deletes a job; false when it was gone already (another process finished or reaped it). */
export async function deleteJob(db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom("jobs").where("id", "=", id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
