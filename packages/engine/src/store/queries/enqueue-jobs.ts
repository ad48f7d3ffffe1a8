import { type Insertable, type QueryCreator, sql } from "kysely";
import type { JobsTable, Tables } from "../tables.js";
import type { Db } from "./types.js";

/**
 * Rows one multi-row VALUES may hold: a job binds 11 parameters, SQLite takes at most 32,766 in a
 * statement and Postgres 65,535, so a 10,000-wide fan-out's first jobs cannot go in one VALUES.
 */
const ROWS_PER_VALUES = 1000;

/** Queues jobs in the caller's transaction (SQLite: a statement per thousand jobs). */
export async function enqueueJobs(db: Db, jobs: Insertable<JobsTable>[]): Promise<void> {
  for (let i = 0; i < jobs.length; i += ROWS_PER_VALUES) {
    await db
      .insertInto("jobs")
      .values(jobs.slice(i, i + ROWS_PER_VALUES))
      .execute();
  }
}

/**
 * Postgres: the insert of jobs as one statement (a part of a data-modifying WITH) whatever their count:
 * up to a thousand as VALUES, more as one JSON parameter that `json_populate_recordset` turns into rows
 * of the table's own column types. Every row must carry the same columns (jobsFor makes them so).
 */
export function insertJobsPg(qc: QueryCreator<Tables>, jobs: Insertable<JobsTable>[]) {
  if (jobs.length <= ROWS_PER_VALUES) return qc.insertInto("jobs").values(jobs);
  const columns = Object.keys(jobs[0] as object) as Array<keyof JobsTable & string>;
  const list = sql.join(columns.map((c) => sql.ref(c)));
  return qc
    .insertInto("jobs")
    .columns(columns)
    .expression(sql`select ${list} from json_populate_recordset(null::jobs, ${JSON.stringify(jobs)}::json)`);
}
