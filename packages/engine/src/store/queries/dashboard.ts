import { sql } from "kysely";
import type { Db } from "./types.js";

const HOUR_MS = 3_600_000;

export interface HourCount {
  hour: number;
  status: string;
  count: number;
}

/** Runs created since `since`, counted per hour (ms of the hour's start) and status: the dashboard chart. */
export async function runCountsByHour(db: Db, since: number): Promise<HourCount[]> {
  // Integer division of two integers truncates in both SQLite and Postgres. The divisor is a literal: a
  // bound JS number reaches SQLite as a REAL, and the quotient would keep its fraction.
  const hour = sql<number>`created_at / ${sql.lit(HOUR_MS)}`;
  const rows = await db
    .selectFrom("runs")
    .select([hour.as("hour"), "status", db.fn.countAll<number>().as("n")])
    .where("created_at", ">=", since)
    .groupBy([hour, "status"])
    .execute();
  return rows.map((r) => ({
    hour: Math.floor(Number(r.hour)) * HOUR_MS,
    status: r.status,
    count: Number(r.n),
  }));
}
