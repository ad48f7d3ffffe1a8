import { type Selectable, sql } from "kysely";
import type { Dialect } from "../database.js";
import type { JobsTable } from "../tables.js";
import type { Db } from "./types.js";

/**
 * Takes the next queued job this worker may run, leasing it until `leaseUntil`. A job matches when the
 * worker has every label the job asks for. On Postgres, SKIP LOCKED lets many workers claim at once
 * without waiting on each other; SQLite runs one writer at a time, so the same UPDATE is atomic there.
 */
export async function claimJob(
  db: Db,
  dialect: Dialect,
  worker: { id: string; labels: string[] },
  now: number,
  leaseUntil: number,
): Promise<Selectable<JobsTable> | undefined> {
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
    .limit(1);
  return db
    .updateTable("jobs")
    .set({ status: "running", worker_id: worker.id, lease_until: leaseUntil })
    .where("id", "=", dialect === "postgres" ? next.forUpdate().skipLocked() : next)
    .returningAll()
    .executeTakeFirst();
}
