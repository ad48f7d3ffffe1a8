import { type Insertable, sql } from "kysely";
import type { Dialect } from "../database.js";
import { decodeRunTrigger } from "../decode/runs.js";
import type { JobsTable, RunsTable } from "../tables.js";
import { enqueueJobs } from "./enqueue-jobs.js";
import { insertRun } from "./insert-run.js";
import type { Db } from "./types.js";

/**
 * Inserts a run and its first jobs atomically. On Postgres one statement does both (the run's insert
 * as a data-modifying WITH), which needs no BEGIN and COMMIT: three round trips fewer for each run
 * started through the API (measured in bench/: throughput). With `notify` (a Postgres channel) the same
 * statement wakes the workers, delivered as it commits: one round trip fewer again. Returns whether it
 * did. SQLite has no INSERT inside WITH: there the two inserts run in the caller's transaction, or in
 * one of their own (which costs no round trip).
 */
export async function insertRunWithJobs(
  db: Db,
  dialect: Dialect,
  run: Insertable<RunsTable>,
  jobs: Insertable<JobsTable>[],
  notify?: string,
): Promise<boolean> {
  if (dialect === "postgres" && jobs.length > 0) {
    const triggerType = decodeRunTrigger(run).type ?? null;
    const both = db
      .with("run", (w) => w.insertInto("runs").values({ trigger_type: triggerType, ...run }))
      .with("queued", (w) => w.insertInto("jobs").values(jobs));
    if (notify === undefined) {
      await both.selectNoFrom(sql<number>`1`.as("done")).execute();
      return false;
    }
    await both.selectNoFrom(sql<string>`pg_notify(${notify}, '')`.as("woken")).execute();
    return true;
  }
  const insertBoth = async (tx: Db) => {
    await insertRun(tx, run);
    await enqueueJobs(tx, jobs);
  };
  if (db.isTransaction) await insertBoth(db);
  else await db.transaction().execute(insertBoth);
  return false;
}
