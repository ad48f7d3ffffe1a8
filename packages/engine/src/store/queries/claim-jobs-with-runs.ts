import { type Selectable, sql } from "kysely";
import type { RunStepRow } from "../decode/runs.js";
import type { JobsTable, RunsTable } from "../tables.js";
import { claimStatement, inQueueOrder } from "./claim-jobs.js";
import type { Db } from "./types.js";

/**
 * The most step rows a claim reads with a job's run: a run of more steps is started under its lock
 * (startTask), where a worker holding the run's state reads only its header, so a wide fan-out does not
 * read every step's row with each claim of one of its steps.
 */
export const CLAIM_READS_STEPS = 50;

/** A job just claimed, with its run's row and step rows as they were when it was claimed (not locked). */
export interface ClaimedWithRun {
  job: Selectable<JobsTable>;
  run: Selectable<RunsTable> | undefined;
  steps: RunStepRow[];
}

/**
 * claimJobs on Postgres, returning with each job its run's row and step rows (subqueries of its
 * RETURNING, read in the claim's snapshot): the worker can start the task with one guarded write (see
 * startClaimedTask) instead of a transaction that reads them again under the run's lock.
 */
export async function claimJobsWithRuns(
  db: Db,
  worker: { id: string; labels: string[] },
  now: number,
  leaseUntil: number,
  limit: number,
): Promise<ClaimedWithRun[]> {
  const rows = await claimStatement(db, "postgres", worker, now, leaseUntil, limit)
    .returningAll()
    .returning([
      sql<Selectable<RunsTable> | null>`(select row_to_json(r) from runs r where r.id = jobs.run_id)`.as(
        "gantry_run",
      ),
      sql<
        RunStepRow[]
      >`(select coalesce(json_agg(json_build_object('step', s.step, 'position', s.position, 'state_json', s.state_json) order by s.position), '[]'::json) from (select step, position, state_json from run_steps where run_id = jobs.run_id order by position limit ${CLAIM_READS_STEPS + 1}) s)`.as(
        "gantry_steps",
      ),
    ])
    .execute();
  return inQueueOrder(rows).map(({ gantry_run, gantry_steps, ...job }) => ({
    job,
    // A run of more steps is started under its lock, where this process's state of it saves the read.
    run: gantry_steps.length > CLAIM_READS_STEPS ? undefined : (gantry_run ?? undefined),
    steps: gantry_steps,
  }));
}
