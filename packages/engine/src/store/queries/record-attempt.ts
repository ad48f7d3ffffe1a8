import type { Insertable, QueryCreator } from "kysely";
import type { StepAttemptsTable, Tables } from "../tables.js";
import type { Db } from "./types.js";

/** Inserts or completes the history row of one attempt of one step item. */
export async function recordAttempt(db: Db, row: Insertable<StepAttemptsTable>): Promise<void> {
  await attemptUpsert(db, row).execute();
}

/** The statement of recordAttempt, also for use inside a WITH (see writeStep). */
export function attemptUpsert(db: QueryCreator<Tables>, row: Insertable<StepAttemptsTable>) {
  return db
    .insertInto("step_attempts")
    .values(row)
    .onConflict((oc) =>
      oc.columns(["run_id", "step", "item_index", "attempt"]).doUpdateSet({
        status: row.status,
        exit_code: row.exit_code ?? null,
        error: row.error ?? null,
        finished_at: row.finished_at ?? null,
        worker_id: row.worker_id ?? null,
      }),
    );
}
