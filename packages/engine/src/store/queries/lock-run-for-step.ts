import { type Selectable, sql } from "kysely";
import type { Dialect } from "../database.js";
import type { RunStepRow } from "../decode/runs.js";
import type { RunsTable } from "../tables.js";
import { deleteJob, type JobFence } from "./delete-job.js";
import { lockRun } from "./lock-run.js";
import { runStepRows } from "./run-steps.js";
import type { Db } from "./types.js";

/** What a step's start or finish reads under the run's row lock, besides the run's row. */
export interface LockForStep {
  /** Read the run's step rows as well (this process holds no state of the run at its revision). */
  steps: boolean;
  /** Delete this job (a finish: its result counts only if the job was still there and fenced in). */
  deleteJob?: { id: number; fence: JobFence };
}

export interface LockedForStep {
  run: Selectable<RunsTable> | undefined;
  /** The run's step rows in position order, when asked for and the run exists. */
  steps?: RunStepRow[];
  /** Whether the job asked for was deleted. */
  jobDeleted: boolean;
}

/**
 * lockRun, deleteJob and runStepRows of a step's start or finish. On Postgres the lock and the delete
 * are one statement: each statement is a socket write and read on both sides (measured in bench/:
 * statements.mjs). The run's row is locked before the job's, as everywhere else (the job's delete waits
 * on the run's lock first), so this order adds no deadlock. The step rows are read by a statement of
 * their own, after the lock is held: a statement reads with the snapshot it started with, so rows read
 * by the statement that waited for the lock would miss what the lock's last holder wrote (a fan-in's
 * finishes each saw the other's step still running, and none queued the join).
 */
export async function lockRunForStep(
  db: Db,
  dialect: Dialect,
  runId: string,
  options: LockForStep,
): Promise<LockedForStep> {
  if (dialect !== "postgres") {
    const run = await lockRun(db, dialect, runId);
    const jobDeleted = options.deleteJob
      ? await deleteJob(db, options.deleteJob.id, options.deleteJob.fence)
      : false;
    const steps = options.steps && run ? await runStepRows(db, runId) : undefined;
    return { run, jobDeleted, ...(steps ? { steps } : {}) };
  }
  const job = options.deleteJob;
  const fence = job?.fence ?? {};
  // `(select count(*) from run) >= 0` is always true: it makes the delete wait for the run's lock.
  const gone = job
    ? sql`, gone as (delete from jobs where id = ${job.id} and (select count(*) from run) >= 0${
        fence.workerId !== undefined ? sql` and worker_id = ${fence.workerId}` : sql``
      }${
        fence.expiredBefore !== undefined ? sql` and lease_until < ${fence.expiredBefore}` : sql``
      } returning id)`
    : sql``;
  const deleted = job ? sql`, exists (select 1 from gone) as gantry_job_deleted` : sql``;
  const result = await sql<
    Selectable<RunsTable> & { gantry_job_deleted?: boolean }
  >`with run as materialized (select * from runs where id = ${runId} for update)${gone} select run.*${deleted} from run`.execute(
    db,
  );
  const row = result.rows[0];
  if (!row) {
    // No run: its jobs went with it (or the delete ran regardless; nothing is started from it either way).
    return { run: undefined, jobDeleted: false };
  }
  const { gantry_job_deleted, ...run } = row;
  const steps = options.steps ? await runStepRows(db, runId) : undefined;
  return { run, jobDeleted: gantry_job_deleted === true, ...(steps ? { steps } : {}) };
}
