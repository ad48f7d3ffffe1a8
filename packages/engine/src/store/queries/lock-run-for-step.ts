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
 * lockRun, runStepRows and deleteJob of a step's start or finish. On Postgres one statement: each
 * statement is a socket write and read on both sides, and these were a third of a worker's statements
 * per run (measured in bench/: statements.mjs). The run's row is locked before the job's, as everywhere
 * else (the job's delete waits on the run's lock first), so this order adds no deadlock.
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
  const steps = options.steps
    ? sql`, (select coalesce(json_agg(json_build_object('step', s.step, 'position', s.position, 'state_json', s.state_json) order by s.position), '[]'::json) from run_steps s where s.run_id = run.id) as gantry_steps`
    : sql``;
  const result = await sql<
    Selectable<RunsTable> & { gantry_job_deleted?: boolean; gantry_steps?: RunStepRow[] }
  >`with run as materialized (select * from runs where id = ${runId} for update)${gone} select run.*${deleted}${steps} from run`.execute(
    db,
  );
  const row = result.rows[0];
  if (!row) {
    // No run: its jobs went with it (or the delete ran regardless; nothing is started from it either way).
    return { run: undefined, jobDeleted: false };
  }
  const { gantry_job_deleted, gantry_steps, ...run } = row;
  return {
    run,
    jobDeleted: gantry_job_deleted === true,
    ...(gantry_steps ? { steps: gantry_steps } : {}),
  };
}
