import { type Insertable, sql, type Updateable } from "kysely";
import type { RunStepRow } from "../decode/runs.js";
import type { RunsTable, StepAttemptsTable } from "../tables.js";
import type { Db } from "./types.js";

/** A step's start, written only if the run's header is still `expectHeader` (see writeStartIfUnchanged). */
export interface GuardedStart {
  runId: string;
  /** The run's `state_json` as read: every write of a run's state changes it (its `rev` counts up). */
  expectHeader: string;
  run: Updateable<RunsTable>;
  steps: RunStepRow[];
  attempt: Insertable<StepAttemptsTable>;
}

/**
 * Postgres: a step's start as one statement without a transaction around it: the run's row is updated
 * only if its header is the one the start was planned from, and the step rows and the attempt are
 * written only if it was (each part reads the update's RETURNING). False when the run changed
 * meanwhile: nothing was written, and the caller starts the task under the run's lock instead.
 */
export async function writeStartIfUnchanged(db: Db, writes: GuardedStart): Promise<boolean> {
  const steps = writes.steps.map((s) => ({ ...s, run_id: writes.runId }));
  const result = await db
    .with("run_update", (qc) =>
      qc
        .updateTable("runs")
        .set(writes.run)
        .where("id", "=", writes.runId)
        .where("state_json", "=", writes.expectHeader)
        .returning("id"),
    )
    .with("steps", (qc) =>
      qc
        .insertInto("run_steps")
        .columns(["run_id", "step", "position", "state_json"])
        .expression(
          sql`select run_id, step, position, state_json from json_populate_recordset(null::run_steps, ${JSON.stringify(steps)}::json) where exists (select 1 from run_update)`,
        )
        .onConflict((oc) =>
          oc.columns(["run_id", "step"]).doUpdateSet({ state_json: sql`excluded.state_json` }),
        ),
    )
    .with("attempt", (qc) =>
      qc
        .insertInto("step_attempts")
        .columns([
          "run_id",
          "step",
          "item_index",
          "attempt",
          "status",
          "exit_code",
          "worker_id",
          "error",
          "started_at",
          "finished_at",
        ])
        .expression(
          sql`select run_id, step, item_index, attempt, status, exit_code, worker_id, error, started_at, finished_at from json_populate_recordset(null::step_attempts, ${JSON.stringify([writes.attempt])}::json) where exists (select 1 from run_update)`,
        )
        .onConflict((oc) =>
          oc.columns(["run_id", "step", "item_index", "attempt"]).doUpdateSet({
            status: sql`excluded.status`,
            exit_code: sql`excluded.exit_code`,
            error: sql`excluded.error`,
            finished_at: sql`excluded.finished_at`,
            worker_id: sql`excluded.worker_id`,
          }),
        ),
    )
    .selectFrom("run_update")
    .select(sql<number>`count(*)::int`.as("written"))
    .executeTakeFirst();
  return (result?.written ?? 0) > 0;
}
