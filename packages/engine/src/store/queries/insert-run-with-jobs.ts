import { type Insertable, type QueryCreator, type Selectable, sql } from "kysely";
import type { Dialect } from "../database.js";
import { decodeRunTrigger } from "../decode/runs.js";
import type { JobsTable, RunStepsTable, RunsTable, StepAttemptsTable, Tables } from "../tables.js";
import { enqueueJobs } from "./enqueue-jobs.js";
import { insertMany } from "./insert-many.js";
import { insertRun } from "./insert-run.js";
import { attemptUpsert } from "./record-attempt.js";
import { insertRunStepsJson } from "./run-steps.js";
import { takeJob } from "./take-job.js";
import type { Db } from "./types.js";

/**
 * Inserts a run, its steps' rows and its first jobs atomically. On Postgres one statement does both (the run's insert
 * as a data-modifying WITH), which needs no BEGIN and COMMIT: three round trips fewer for each run
 * started through the API (measured in bench/: throughput). With `notify` (a Postgres channel) the same
 * statement wakes the workers, delivered as it commits: one round trip fewer again. Returns whether it
 * did. SQLite has no INSERT inside WITH: there the two inserts run in the caller's transaction, or in
 * one of their own (which costs no round trip).
 *
 * With `take`, one more job goes in already claimed by a worker of this process (as takeJob), with its
 * attempt's history row, and comes back as `taken`: the run's first task, started in the same write.
 * Jobs left for the queue then wake nobody in the statement (`woken` is false): the caller notifies.
 */
export async function insertRunWithJobs(
  db: Db,
  dialect: Dialect,
  run: Insertable<RunsTable>,
  jobs: Insertable<JobsTable>[],
  steps: Insertable<RunStepsTable>[] = [],
  notify?: string,
  take?: TakeFirst,
): Promise<{ woken: boolean; taken?: Selectable<JobsTable> }> {
  if (dialect === "postgres" && take) {
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
      chain = chain.with("queued", (w) =>
        w.insertInto("jobs").values(jobs),
      ) as unknown as QueryCreator<Tables>;
    chain = chain.with("attempt", (w) => attemptUpsert(w, take.attempt)) as unknown as QueryCreator<Tables>;
    const taken = await chain
      .insertInto("jobs")
      .values({ ...take.job, status: "running", worker_id: take.workerId, lease_until: take.leaseUntil })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { woken: false, taken };
  }
  if (dialect === "postgres" && jobs.length > 0) {
    const triggerType = decodeRunTrigger(run).type ?? null;
    const withRun = db.with("run", (w) => w.insertInto("runs").values({ trigger_type: triggerType, ...run }));
    // No statement reads the WITH parts back, so their names need no place in the chain's type.
    const withSteps = (steps.length > 0
      ? withRun.with("steps", (w) => insertRunStepsJson(w as never, steps))
      : withRun) as unknown as QueryCreator<Tables>;
    const all = withSteps.with("queued", (w) => w.insertInto("jobs").values(jobs));
    if (notify === undefined) {
      await all.selectNoFrom(sql<number>`1`.as("done")).execute();
      return { woken: false };
    }
    await all.selectNoFrom(sql<string>`pg_notify(${notify}, '')`.as("woken")).execute();
    return { woken: true };
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
  return taken ? { woken: false, taken } : { woken: false };
}

/** A job inserted as claimed by `workerId` until `leaseUntil`, and its started attempt's history row. */
export interface TakeFirst {
  job: Insertable<JobsTable>;
  attempt: Insertable<StepAttemptsTable>;
  workerId: string;
  leaseUntil: number;
}
