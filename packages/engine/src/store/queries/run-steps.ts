import { type Insertable, type QueryCreator, sql } from "kysely";
import type { RunStepRow } from "../decode/runs.js";
import { decodeRunState } from "../decode/runs.js";
import type { RunStepsTable, Tables } from "../tables.js";
import type { Db } from "./types.js";

/** A run's step rows (its steps' state), in the workflow's order. */
export async function runStepRows(db: Db, runId: string): Promise<RunStepRow[]> {
  return db
    .selectFrom("run_steps")
    .select(["step", "position", "state_json"])
    .where("run_id", "=", runId)
    .orderBy("position")
    .execute();
}

/**
 * Rows of runs with `state_json` holding the whole state (the run's header merged with its step rows),
 * for readers that show, search or copy whole runs; `runId` names a row's run when its `id` does not.
 */
export async function withRunSteps<R extends { state_json: string }>(
  db: Db,
  rows: R[],
  runId: (row: R) => string = (row) => (row as R & { id: string }).id,
): Promise<R[]> {
  const ids = [...new Set(rows.filter((r) => r.state_json !== "null").map(runId))];
  if (ids.length === 0) return rows;
  const byRun = new Map<string, RunStepRow[]>();
  // In slices: a list of thousands of runs must not go over a driver's limit of bound values.
  for (let i = 0; i < ids.length; i += 500) {
    const found = await db
      .selectFrom("run_steps")
      .select(["run_id", "step", "position", "state_json"])
      .where("run_id", "in", ids.slice(i, i + 500))
      .orderBy("run_id")
      .orderBy("position")
      .execute();
    for (const row of found) {
      const list = byRun.get(row.run_id);
      if (list) list.push(row);
      else byRun.set(row.run_id, [row]);
    }
  }
  return rows.map((row) => {
    const steps = byRun.get(runId(row));
    if (!steps) return row;
    return { ...row, state_json: JSON.stringify(decodeRunState(row, steps)) };
  });
}

/** Writes steps' rows of a run (new or changed); also for use inside a WITH (see writeStep). */
export function upsertRunSteps(db: QueryCreator<Tables>, runId: string, steps: readonly RunStepRow[]) {
  return db
    .insertInto("run_steps")
    .values(
      steps.map((s) => ({ run_id: runId, step: s.step, position: s.position, state_json: s.state_json })),
    )
    .onConflict((oc) => oc.columns(["run_id", "step"]).doUpdateSet({ state_json: sql`excluded.state_json` }));
}

/**
 * Inserts new runs' step rows (Insertable rows, each with its run_id) as one JSON parameter on Postgres,
 * whatever their count (a 10,000-step run's rows as VALUES would pass Postgres' 65,535 parameters);
 * also for use inside a WITH (see insertRunWithJobs).
 */
export function insertRunStepsJson(db: QueryCreator<Tables>, rows: readonly Insertable<RunStepsTable>[]) {
  return db
    .insertInto("run_steps")
    .columns(["run_id", "step", "position", "state_json"])
    .expression(
      sql`select run_id, step, position, state_json from json_populate_recordset(null::run_steps, ${JSON.stringify(rows)}::json)`,
    );
}

/** Writes the step rows, when there are any. */
export async function writeRunSteps(db: Db, runId: string, steps: readonly RunStepRow[]): Promise<void> {
  // SQLite allows 32,766 bound values in a statement: 4 per row.
  for (let i = 0; i < steps.length; i += 5000)
    await upsertRunSteps(db, runId, steps.slice(i, i + 5000)).execute();
}
