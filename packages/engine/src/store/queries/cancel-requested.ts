import type { Db } from "./types.js";

/** Which of these runs were asked to cancel: a worker's fallback for a cancel notification it missed. */
export async function cancelRequestedRuns(db: Db, runIds: string[]): Promise<string[]> {
  if (runIds.length === 0) return [];
  const rows = await db
    .selectFrom("runs")
    .select("id")
    .where("id", "in", runIds)
    .where("cancel_requested", "=", 1)
    .execute();
  return rows.map((r) => r.id);
}
