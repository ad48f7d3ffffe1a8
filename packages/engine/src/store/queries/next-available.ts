import type { Db } from "./types.js";

/**
 * When the soonest queued job that is not available yet (a retry waiting out its delay) becomes
 * available, or undefined. An idle worker sleeps until then rather than until its next fallback poll.
 */
export async function nextAvailableAt(db: Db, now: number): Promise<number | undefined> {
  const row = await db
    .selectFrom("jobs")
    .select((eb) => eb.fn.min("available_at").as("at"))
    .where("status", "=", "queued")
    .where("available_at", ">", now)
    .executeTakeFirst();
  return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
}
