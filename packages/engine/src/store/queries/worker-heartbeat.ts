import type { Db } from "./types.js";

/** When the worker last heartbeated (epoch ms), or undefined for a worker never registered. */
export async function workerHeartbeatAt(db: Db, workerId: string): Promise<number | undefined> {
  const row = await db
    .selectFrom("workers")
    .select("heartbeat_at")
    .where("id", "=", workerId)
    .executeTakeFirst();
  return row?.heartbeat_at;
}
