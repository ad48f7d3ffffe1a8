import { type Insertable, type QueryCreator, sql } from "kysely";
import type { Dialect } from "../database.js";
import { decodeRunTrigger } from "../decode/runs.js";
import type { JobsTable, RunStepsTable, RunsTable, Tables } from "../tables.js";
import { enqueueJobs, insertJobsPg } from "./enqueue-jobs.js";
import { insertMany } from "./insert-many.js";
import { insertRun } from "./insert-run.js";
import { insertRunStepsJson } from "./run-steps.js";
import type { Db } from "./types.js";

/**
 * Inserts a run, its steps' rows and its first jobs atomically. On Postgres one statement does both (the run's insert
 * as a data-modifying WITH), which needs no BEGIN and COMMIT of its own (measured in bench/: throughput).
 * SQLite has no INSERT inside WITH: there the two inserts run in the caller's transaction, or in one of
 * their own (which costs no round trip).
 */
export async function insertRunWithJobs(
  db: Db,
  dialect: Dialect,
  run: Insertable<RunsTable>,
  jobs: Insertable<JobsTable>[],
  steps: Insertable<RunStepsTable>[] = [],
): Promise<void> {
  if (dialect === "postgres" && jobs.length > 0) {
    const triggerType = decodeRunTrigger(run).type ?? null;
    const withRun = db.with("run", (w) => w.insertInto("runs").values({ trigger_type: triggerType, ...run }));
    // No statement reads the WITH parts back, so their names need no place in the chain's type.
    const withSteps = (steps.length > 0
      ? withRun.with("steps", (w) => insertRunStepsJson(w as never, steps))
      : withRun) as unknown as QueryCreator<Tables>;
    const all = withSteps.with("queued", (w) => insertJobsPg(w, jobs));
    await all.selectNoFrom(sql<number>`1`.as("done")).execute();
    return;
  }
  const insertBoth = async (tx: Db) => {
    await insertRun(tx, run);
    if (steps.length > 0) {
      if (dialect === "postgres") await insertRunStepsJson(tx, steps).execute();
      else await insertMany(tx, dialect, { table: "run_steps", rows: steps });
    }
    await enqueueJobs(tx, jobs);
  };
  if (db.isTransaction) await insertBoth(db);
  else await db.transaction().execute(insertBoth);
}
