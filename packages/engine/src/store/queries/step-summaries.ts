import { type StepSummaryRow, withCiTables } from "./ci-results-tables.js";
import type { Db } from "./types.js";

export interface StepSummaryKey {
  run_id: string;
  step: string;
  item_index: number;
  attempt: number;
}

/** Records an attempt's summary; a repeated write (a retried finish) keeps the first. */
export async function insertStepSummary(
  db: Db,
  key: StepSummaryKey,
  markdown: string,
  now: number,
): Promise<void> {
  await withCiTables(db)
    .insertInto("step_summaries")
    .values({ ...key, markdown, created_at: now })
    .onConflict((oc) => oc.columns(["run_id", "step", "item_index", "attempt"]).doNothing())
    .execute();
}

/** A run's summaries, in the order the steps wrote them. */
export async function listStepSummaries(db: Db, runId: string): Promise<StepSummaryRow[]> {
  return withCiTables(db)
    .selectFrom("step_summaries")
    .selectAll()
    .where("run_id", "=", runId)
    .orderBy("created_at")
    .orderBy("step")
    .execute();
}
