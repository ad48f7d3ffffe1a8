import { TERMINAL_RUN_STATUSES } from "@gantry/core";
import { deleteExpiredArtifacts, deleteRunResults } from "../artifacts/retention.js";
import type { LogArchiveLike } from "../logs/types.js";
import {
  deleteRunLogs,
  deleteRuns,
  type ExpiryFilter,
  expiredRuns,
  orphanLogRuns,
  runsWithExpiredLogs,
  storedLogsOfRuns,
} from "../store/queries/retention.js";
import { deleteOldHistory } from "../store/queries/retention-history.js";
import type { Db } from "../store/queries/types.js";
import type { ServiceContext } from "./context.js";
import { withUnitOfWork } from "./unit-of-work.js";

export interface RetentionPolicy {
  /**
   * Finished runs older than this are deleted with their steps and logs, and so are schedule fires and
   * trigger events recorded before it. Unset: kept forever.
   */
  runsMs?: number;
  /** The logs of finished runs older than this are deleted; the runs are kept. Unset: kept forever. */
  logsMs?: number;
}

/** Runs per batch: bounds each transaction and keeps `IN (…)` lists far below SQLite's 32766 parameters. */
const BATCH = 200;

/**
 * One clean-up sweep. Deletes finished runs older than `runsMs` (measured from when they finished) with
 * their jobs, step attempts, log chunks and archived logs, objects included; then the logs, objects
 * included, of finished runs older than `logsMs`, keeping the runs. Runs still running (or pending, or
 * with a clean-up step still queued after a cancel) are never touched.
 *
 * Objects are deleted before their rows: when the archive fails the sweep stops with its error and the
 * rows remain for the next sweep, instead of objects nobody could find again.
 *
 * Returns how many runs were deleted and how many step attempts' logs were (those of deleted runs too).
 */
export async function applyRetention(
  ctx: ServiceContext,
  archive: LogArchiveLike,
  policy: RetentionPolicy,
): Promise<{ runs: number; logs: number; history: number }> {
  const { db } = ctx.database;
  const now = ctx.now();
  let runs = 0;
  let logs = 0;
  let history = 0;
  // Artifacts past their retention_days go whatever the policy: the uploading step chose how long.
  await deleteExpiredArtifacts(ctx, archive);
  if (policy.runsMs !== undefined) {
    const { fires, events } = await deleteOldHistory(db, now - policy.runsMs);
    history = fires + events;
    const filter: ExpiryFilter = {
      before: now - policy.runsMs,
      statuses: TERMINAL_RUN_STATUSES,
      limit: BATCH,
    };
    for (;;) {
      const ids = await expiredRuns(db, filter);
      await deleteRunResults(ctx, archive, ids);
      logs += await deleteLogs(ctx, archive, ids, (tx) => deleteRuns(tx, ids));
      runs += ids.length;
      if (ids.length < BATCH) break;
    }
    for (;;) {
      const ids = await orphanLogRuns(db, BATCH);
      logs += await deleteLogs(ctx, archive, ids, (tx) => deleteRunLogs(tx, ids));
      if (ids.length < BATCH) break;
    }
  }
  if (policy.logsMs !== undefined) {
    const filter: ExpiryFilter = {
      before: now - policy.logsMs,
      statuses: TERMINAL_RUN_STATUSES,
      limit: BATCH,
    };
    for (;;) {
      const ids = await runsWithExpiredLogs(db, filter);
      logs += await deleteLogs(ctx, archive, ids, (tx) => deleteRunLogs(tx, ids));
      if (ids.length < BATCH) break;
    }
  }
  return { runs, logs, history };
}

/** Deletes the archived objects of these runs, then their rows with `deleteRows`; counts step attempts. */
async function deleteLogs(
  ctx: ServiceContext,
  archive: LogArchiveLike,
  runIds: string[],
  deleteRows: (tx: Db) => Promise<void>,
): Promise<number> {
  if (runIds.length === 0) return 0;
  const stored = await storedLogsOfRuns(ctx.database.db, runIds);
  const objects = stored.flatMap((s) => (s.object_key === null ? [] : [s.object_key]));
  await archive.delete(objects);
  await withUnitOfWork(ctx, ({ db: tx }) => deleteRows(tx));
  return new Set(stored.map((s) => JSON.stringify([s.run_id, s.step, s.item_index, s.attempt]))).size;
}
