import { type Selectable, sql } from "kysely";
import type { Dialect } from "../database.js";
import type { JobsTable } from "../tables.js";
import type { Db } from "./types.js";

/**
 * Takes up to `limit` queued jobs this worker may run (it has every label a job asks for), leasing
 * them until `leaseUntil`, by priority, then age. A worker with free slots asks for all of them at once: fewer than
 * asked means the queue held no more, so it need not ask again to find out (one statement per run saved
 * under load, measured in bench/: throughput). On Postgres, SKIP LOCKED lets workers claim at once
 * without waiting on each other; SQLite runs one writer at a time, so the UPDATE is atomic there.
 */
export async function claimJobs(
  db: Db,
  dialect: Dialect,
  worker: { id: string; labels: string[] },
  now: number,
  leaseUntil: number,
  limit: number,
): Promise<Selectable<JobsTable>[]> {
  const jobs = await claimStatement(db, dialect, worker, now, leaseUntil, limit).returningAll().execute();
  return inQueueOrder(jobs);
}

/** The claim's UPDATE, without its RETURNING (claimJobsWithRuns returns more). */
export function claimStatement(
  db: Db,
  dialect: Dialect,
  worker: { id: string; labels: string[] },
  now: number,
  leaseUntil: number,
  limit: number,
) {
  const labels = JSON.stringify(worker.labels);
  const labelsMatch =
    dialect === "postgres"
      ? sql<boolean>`labels_json::jsonb <@ ${labels}::jsonb`
      : sql<boolean>`not exists (select 1 from json_each(jobs.labels_json) j where j.value not in (select value from json_each(${labels})))`;
  const next = db
    .selectFrom("jobs")
    .select("id")
    .where("status", "=", "queued")
    .where("available_at", "<=", now)
    .where(labelsMatch)
    .orderBy("priority")
    .orderBy("available_at")
    .orderBy("id")
    .limit(limit);
  return db
    .updateTable("jobs")
    .set({ status: "running", worker_id: worker.id, lease_until: leaseUntil })
    .where("id", "in", dialect === "postgres" ? next.forUpdate().skipLocked() : next);
}

/** RETURNING gives no order: claimed jobs are started in queue order. */
export function inQueueOrder<J extends Pick<Selectable<JobsTable>, "priority" | "available_at" | "id">>(
  jobs: J[],
): J[] {
  return jobs.sort((a, b) => a.priority - b.priority || a.available_at - b.available_at || a.id - b.id);
}
