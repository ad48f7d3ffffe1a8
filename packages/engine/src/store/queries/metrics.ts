import type { Db } from "./types.js";

export async function runCountsByStatus(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom("runs")
    .select(["status", db.fn.countAll<number>().as("n")])
    .groupBy("status")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

export async function queueDepth(db: Db): Promise<number> {
  const row = await db
    .selectFrom("jobs")
    .select(db.fn.countAll<number>().as("n"))
    .where("status", "=", "queued")
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
