import { type Insertable, type RawBuilder, type Selectable, sql, type Updateable } from "kysely";
import type { RunStepRow } from "../decode/runs.js";
import type { JobsTable, RunsTable, StepAttemptsTable } from "../tables.js";
import { fromJson } from "./insert-many.js";
import type { Db } from "./types.js";

/** A step's start or end, written only if the run is still as it was planned from (see writeIfUnchanged). */
export interface GuardedWrite {
  runId: string;
  /** The run's `state_json` as read or written last: every write of a run's state changes it. */
  expectHeader: string;
  /**
   * A finish's: the run's `masked_values` as this process read them. A step registers an
   * `::add-mask::` value while it runs without writing the state (secrets/run-mask-watch.ts), and the
   * finish masks with them and may add its own.
   */
  expectMasks?: string | null;
  /** A finish's: its job, deleted only if `workerId` still holds it (the finish's fence). */
  job?: { id: number; workerId: string };
  run: Updateable<RunsTable>;
  steps: RunStepRow[];
  /** History rows to insert, or to complete when they exist (as recordAttempt). */
  attempts: Insertable<StepAttemptsTable>[];
  /** Jobs that became ready, queued for any worker. */
  enqueue?: Insertable<JobsTable>[];
  /** A job that became ready, inserted as claimed by `workerId` and returned (as takeJob). */
  take?: { job: Insertable<JobsTable>; workerId: string; leaseUntil: number };
  /** A wake-up sent with the write (`pg_notify`, delivered as it commits) when it lands. */
  wake?: { channel: string; payload: string };
}

export interface Written {
  written: boolean;
  /** The job taken, when `take` was asked and the write landed. */
  taken?: Selectable<JobsTable>;
}

/**
 * Postgres: a step's start or end as one statement without a transaction around it (what writeStep
 * writes under the run's lock, a finish's fenced delete of its job and its wake-up). The run's row is
 * updated only if its header is the one the write was planned from (a finish's masks too) and a
 * finish's job is still its worker's; every other part reads that update's RETURNING, so either all of
 * it lands or none. A writer that changed the run meanwhile has changed its header (its revision counts
 * up), and one that took or deleted the job has changed the run's state with it: the update then waits
 * for its lock, sees the new header and writes nothing. `written` false: the caller decides under the
 * run's lock instead. Measured on bench/statements.mjs: a start's 5 statements and a finish's BEGIN,
 * lock, write and COMMIT each become one.
 */
export async function writeIfUnchanged(db: Db, writes: GuardedWrite): Promise<Written> {
  const landed = sql`exists (select 1 from run_update)`;
  const sets = Object.entries(writes.run).map(([column, value]) => sql`${sql.ref(column)} = ${value}`);
  const { job } = writes;
  const guards = [sql`state_json = ${writes.expectHeader}`];
  if (writes.expectMasks !== undefined)
    guards.push(sql`masked_values is not distinct from ${writes.expectMasks}`);
  if (job) guards.push(sql`exists (select 1 from jobs where id = ${job.id} and worker_id = ${job.workerId})`);
  const parts: RawBuilder<unknown>[] = [
    sql`run_update as (update runs set ${sql.join(sets)} where id = ${writes.runId}
      and ${sql.join(guards, sql` and `)} returning id)`,
  ];
  if (job)
    parts.push(sql`gone as (delete from jobs where id = ${job.id} and worker_id = ${job.workerId}
      and ${landed} returning id)`);
  const steps = writes.steps.map((s) => ({ ...s, run_id: writes.runId }));
  if (steps.length > 0)
    parts.push(sql`steps as (${fromJson({ table: "run_steps", rows: steps }, landed)}
      on conflict (run_id, step) do update set state_json = excluded.state_json)`);
  if (writes.attempts.length > 0)
    parts.push(sql`attempts as (${fromJson({ table: "step_attempts", rows: writes.attempts }, landed)}
      on conflict (run_id, step, item_index, attempt) do update set status = excluded.status,
      exit_code = excluded.exit_code, error = excluded.error, finished_at = excluded.finished_at,
      worker_id = excluded.worker_id)`);
  const enqueue = writes.enqueue ?? [];
  if (enqueue.length > 0) parts.push(sql`queued as (${fromJson({ table: "jobs", rows: enqueue }, landed)})`);
  const { take, wake } = writes;
  if (take) {
    const row = { ...take.job, status: "running", worker_id: take.workerId, lease_until: take.leaseUntil };
    parts.push(sql`taken as (${fromJson({ table: "jobs", rows: [row] }, landed)} returning *)`);
  }
  // A WITH that only selects runs when it is read: the final select counts it.
  parts.push(
    wake
      ? sql`woken as (select pg_notify(${wake.channel}, ${wake.payload}) where ${landed})`
      : sql`woken as (select 1 where false)`,
  );
  const counts = sql`(select count(*)::int from run_update) as gantry_written,
    (select count(*)::int from woken) as gantry_woken`;
  const select = take
    ? sql`select taken.*, ${counts} from (select 1) as one left join taken on true`
    : sql`select ${counts}`;
  const result = await sql<
    Selectable<JobsTable> & { gantry_written: number; gantry_woken: number }
  >`with ${sql.join(parts)} ${select}`.execute(db);
  const row = result.rows[0];
  if (!row || row.gantry_written === 0) return { written: false };
  if (!take) return { written: true };
  const { gantry_written: _written, gantry_woken: _woken, ...taken } = row;
  return { written: true, taken };
}
