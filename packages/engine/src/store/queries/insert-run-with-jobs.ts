import { type Insertable, type QueryCreator, type Selectable, sql } from "kysely";
import type { Dialect } from "../database.js";
import { decodeRunTrigger } from "../decode/runs.js";
import type { JobsTable, RunStepsTable, RunsTable, StepAttemptsTable, Tables } from "../tables.js";
import { enqueueJobs, insertJobsPg } from "./enqueue-jobs.js";
import { insertMany } from "./insert-many.js";
import { insertRun } from "./insert-run.js";
import { attemptUpsert } from "./record-attempt.js";
import { insertRunStepsJson } from "./run-steps.js";
import { takeJob } from "./take-job.js";
import type { Db } from "./types.js";

/**
 * Inserts a run, its steps' rows and its first jobs atomically. On Postgres one statement does both (the run's insert
 * as a data-modifying WITH), which needs no BEGIN and COMMIT of its own (measured in bench/: throughput).
 * SQLite has no INSERT inside WITH: there the two inserts run in the caller's transaction, or in one of
 * their own (which costs no round trip).
 *
 * With `take`, one more job goes in already claimed by a worker of this process (as takeJob), with its
 * attempt's history row, and comes back as `taken`: the run's first task, started in the same write.
 */
export async function insertRunWithJobs(
  db: Db,
  dialect: Dialect,
  run: Insertable<RunsTable>,
  jobs: Insertable<JobsTable>[],
  steps: Insertable<RunStepsTable>[] = [],
  take?: TakeFirst,
): Promise<{ taken?: Selectable<JobsTable> }> {
  if (dialect === "postgres" && (jobs.length > 0 || take)) {
    const triggerType = decodeRunTrigger(run).type ?? null;
    let chain = db.with("run", (w) =>
      w.insertInto("runs").values({ trigger_type: triggerType, ...run }),
    ) as unknown as QueryCreator<Tables>;
    // No statement reads the WITH parts back, so their names need no place in the chain's type.
    if (steps.length > 0)
      chain = chain.with("steps", (w) =>
        insertRunStepsJson(w as never, steps),
      ) as unknown as QueryCreator<Tables>;
    if (jobs.length > 0)
      chain = chain.with("queued", (w) => insertJobsPg(w, jobs)) as unknown as QueryCreator<Tables>;
    if (!take) {
      await chain.selectNoFrom(sql<number>`1`.as("done")).execute();
      return {};
    }
    chain = chain.with("attempt", (w) => attemptUpsert(w, take.attempt)) as unknown as QueryCreator<Tables>;
    const taken = await chain
      .insertInto("jobs")
      .values({ ...take.job, status: "running", worker_id: take.workerId, lease_until: take.leaseUntil })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { taken };
  }
  let taken: Selectable<JobsTable> | undefined;
  const insertBoth = async (tx: Db) => {
    await insertRun(tx, run);
    if (steps.length > 0) {
      if (dialect === "postgres") await insertRunStepsJson(tx, steps).execute();
      else await insertMany(tx, dialect, { table: "run_steps", rows: steps });
    }
    await enqueueJobs(tx, jobs);
    if (take) {
      await attemptUpsert(tx, take.attempt).execute();
      taken = await takeJob(tx, take.job, take.workerId, take.leaseUntil);
    }
  };
  if (db.isTransaction) await insertBoth(db);
  else await db.transaction().execute(insertBoth);
  return taken ? { taken } : {};
}

/** A job inserted as claimed by `workerId` until `leaseUntil`, and its started attempt's history row. */
export interface TakeFirst {
  job: Insertable<JobsTable>;
  attempt: Insertable<StepAttemptsTable>;
  workerId: string;
  leaseUntil: number;
}
