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
 * The channel each claim announces what it took on (PgNotifier's name for "claims"): the other workers
 * then know those jobs need no claim of theirs (see worker/claim-shares.ts).
 */
export const CLAIMS_CHANNEL = "gantry_claims";

/**
 * claimJobs on Postgres, returning with each job its run's row and step rows (read in the claim's
 * snapshot): the worker can start the task with one guarded write (see startClaimedTask) instead of a
 * transaction that reads them again under the run's lock. Each claim also announces what it took on
 * CLAIMS_CHANNEL, delivered as it commits (see worker/claim-shares.ts): no round trip of its own.
 */
export async function claimJobsWithRuns(
  db: Db,
  worker: { id: string; labels: string[] },
  now: number,
  leaseUntil: number,
  limit: number,
): Promise<ClaimedWithRun[]> {
  const claim = claimStatement(db, "postgres", worker, now, leaseUntil, limit).returningAll();
  const notice = sql`${limit}::int - count(*) || ' ' || md5(${JSON.stringify(worker.labels)}) || ' ' || coalesce(string_agg(c.id::text, ','), '') || ' ' || ${worker.id}::text`;
  // The notice is sent by a one-row aggregate the claimed rows are joined to: a claim that took nothing
  // announces itself too (the others learn it is there to share with), and answers one row of nulls.
  const { rows } = await sql<
    Selectable<JobsTable> & { gantry_run: Selectable<RunsTable> | null; gantry_steps: RunStepRow[] | null }
  >`with claimed as (${claim}),
    noticed as (select pg_notify(${CLAIMS_CHANNEL}, case when length(${notice}) <= 7900 then ${notice} else '' end) from claimed c)
    select claimed.*,
      (select row_to_json(r) from runs r where r.id = claimed.run_id) as gantry_run,
      (select coalesce(json_agg(json_build_object('step', s.step, 'position', s.position, 'state_json', s.state_json) order by s.position), '[]'::json) from (select step, position, state_json from run_steps where run_id = claimed.run_id order by position limit ${CLAIM_READS_STEPS + 1}) s) as gantry_steps
    from noticed left join claimed on true`.execute(db);
  const taken = rows.filter((row) => row.id !== null);
  return inQueueOrder(taken).map(({ gantry_run, gantry_steps, ...job }) => ({
    job,
    // A run of more steps is started under its lock, where this process's state of it saves the read.
    run: (gantry_steps ?? []).length > CLAIM_READS_STEPS ? undefined : (gantry_run ?? undefined),
    steps: gantry_steps ?? [],
  }));
}
