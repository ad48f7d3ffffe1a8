import type { Db } from "./types.js";

/** Which runs retention may touch: finished (one of `statuses`) before `before`, at most `limit` at a time. */
export interface ExpiryFilter {
  before: number;
  statuses: readonly string[];
  limit: number;
}

/** One step attempt whose log is stored, and its archived object when it has one. */
export interface StoredLog {
  run_id: string;
  step: string;
  item_index: number;
  attempt: number;
  object_key: string | null;
}

/**
 * Finished runs that ended before the cutoff, oldest first. A run that still has a job is left alone
 * even when its status is final: a cancelled run's clean-up steps (`if: always()`) run after it.
 */
function expired(db: Db, filter: ExpiryFilter) {
  return db
    .selectFrom("runs")
    .select("runs.id")
    .where("runs.status", "in", [...filter.statuses])
    .where((eb) => eb(eb.fn.coalesce("runs.finished_at", "runs.created_at"), "<", filter.before))
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom("jobs").select("jobs.id").whereRef("jobs.run_id", "=", "runs.id"))),
    )
    .orderBy("runs.created_at")
    .limit(filter.limit);
}

/** Runs to delete with everything they own. */
export async function expiredRuns(db: Db, filter: ExpiryFilter): Promise<string[]> {
  return (await expired(db, filter).execute()).map((r) => r.id);
}

/** Runs that are kept but whose logs (archived, or chunks never archived) are to be deleted. */
export async function runsWithExpiredLogs(db: Db, filter: ExpiryFilter): Promise<string[]> {
  const rows = await expired(db, filter)
    .where(({ or, exists, selectFrom }) =>
      or([
        exists(
          selectFrom("log_archives")
            .select("log_archives.run_id")
            .whereRef("log_archives.run_id", "=", "runs.id"),
        ),
        exists(
          selectFrom("log_chunks").select("log_chunks.run_id").whereRef("log_chunks.run_id", "=", "runs.id"),
        ),
      ]),
    )
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Runs that no longer exist but still have archived logs: a log uploaded from a worker's spool after
 * its run was deleted.
 */
export async function orphanLogRuns(db: Db, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("log_archives")
    .select("log_archives.run_id")
    .distinct()
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom("runs").select("runs.id").whereRef("runs.id", "=", "log_archives.run_id"))),
    )
    .limit(limit)
    .execute();
  return rows.map((r) => r.run_id);
}

/** Every stored step-attempt log of these runs: the archived ones with their object, then live chunks. */
export async function storedLogsOfRuns(db: Db, runIds: string[]): Promise<StoredLog[]> {
  if (runIds.length === 0) return [];
  const archived = await db
    .selectFrom("log_archives")
    .select(["run_id", "step", "item_index", "attempt", "object_key"])
    .where("run_id", "in", runIds)
    .execute();
  const live = await db
    .selectFrom("log_chunks")
    .select(["run_id", "step", "item_index", "attempt"])
    .distinct()
    .where("run_id", "in", runIds)
    .execute();
  return [...archived, ...live.map((l) => ({ ...l, object_key: null }))];
}

/** Deletes the logs of these runs from the store (not their archived objects). */
export async function deleteRunLogs(db: Db, runIds: string[]): Promise<void> {
  if (runIds.length === 0) return;
  await db.deleteFrom("log_chunks").where("run_id", "in", runIds).execute();
  await db.deleteFrom("log_archives").where("run_id", "in", runIds).execute();
}

/** Deletes these runs and every row they own. */
export async function deleteRuns(db: Db, runIds: string[]): Promise<void> {
  if (runIds.length === 0) return;
  await deleteRunLogs(db, runIds);
  await db.deleteFrom("step_attempts").where("run_id", "in", runIds).execute();
  await db.deleteFrom("run_steps").where("run_id", "in", runIds).execute();
  await db.deleteFrom("jobs").where("run_id", "in", runIds).execute();
  await db.deleteFrom("runs").where("id", "in", runIds).execute();
}
