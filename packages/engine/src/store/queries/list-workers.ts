import type { Db } from "./types.js";

export interface WorkerRow {
  id: string;
  labels_json: string;
  capacity: number;
  hostname: string;
  started_at: number;
  heartbeat_at: number;
  /** `worker` or `agent`. */
  kind: string;
  version: string | null;
  /** Steps it holds a lease on now. */
  running: number;
}

/** Workers seen since `since`, newest heartbeat first, each with how many steps it is running. */
export async function listWorkers(db: Db, since: number): Promise<WorkerRow[]> {
  const running = db
    .selectFrom("jobs")
    .select(["worker_id", db.fn.countAll<number>().as("running")])
    .where("status", "=", "running")
    .groupBy("worker_id")
    .as("running");
  const rows = await db
    .selectFrom("workers")
    .leftJoin(running, "running.worker_id", "workers.id")
    .select([
      "workers.id",
      "workers.labels_json",
      "workers.capacity",
      "workers.hostname",
      "workers.started_at",
      "workers.heartbeat_at",
      "workers.kind",
      "workers.version",
      "running.running",
    ])
    .where("workers.heartbeat_at", ">=", since)
    .orderBy("workers.heartbeat_at", "desc")
    .execute();
  return rows.map((r) => ({ ...r, running: Number(r.running ?? 0) }));
}
