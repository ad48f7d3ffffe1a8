import type { Insertable, QueryCreator, Selectable, Updateable } from "kysely";
import type { Dialect } from "../database.js";
import type { RunStepRow } from "../decode/runs.js";
import type { JobsTable, RunsTable, StepAttemptsTable, Tables } from "../tables.js";
import { enqueueJobs, insertJobsPg } from "./enqueue-jobs.js";
import { attemptUpsert } from "./record-attempt.js";
import { upsertRunSteps, writeRunSteps } from "./run-steps.js";
import { takeJob } from "./take-job.js";
import type { Db } from "./types.js";
import { updateRun } from "./update-run.js";

type Expressionish = { compile(): unknown };

/** What starting or finishing a step writes, under the run's row lock. */
export interface StepWrites {
  runId: string;
  run: Updateable<RunsTable>;
  /** The rows of the run's steps that changed (see run_steps). */
  steps?: RunStepRow[];
  /** History rows to insert, or to complete when they exist (as recordAttempt). */
  attempts: Insertable<StepAttemptsTable>[];
  /** Jobs that became ready, queued for any worker. */
  enqueue?: Insertable<JobsTable>[];
  /** A job that became ready, inserted as claimed by `workerId` (as takeJob) and returned. */
  take?: { job: Insertable<JobsTable>; workerId: string; leaseUntil: number };
}

/**
 * Writes a step's start or end: on Postgres as one statement (each write a data-modifying WITH), so a
 * step's end and its successor's start cost one round trip instead of five (measured in bench/:
 * throughput, statements per run). SQLite has no INSERT or UPDATE inside WITH; there each write is
 * its own statement, which costs no round trip.
 */
export async function writeStep(
  db: Db,
  dialect: Dialect,
  writes: StepWrites,
): Promise<Selectable<JobsTable> | undefined> {
  const enqueue = writes.enqueue ?? [];
  const steps = writes.steps ?? [];
  if (dialect !== "postgres") {
    await writeRunSteps(db, writes.runId, steps);
    for (const row of writes.attempts) await attemptUpsert(db, row).execute();
    await enqueueJobs(db, enqueue);
    const taken = writes.take
      ? await takeJob(db, writes.take.job, writes.take.workerId, writes.take.leaseUntil)
      : undefined;
    await updateRun(db, writes.runId, writes.run);
    return taken;
  }
  // No statement reads the WITH parts back, so their names need no place in the chain's type.
  const add = (
    chain: QueryCreator<Tables>,
    name: string,
    part: (qc: QueryCreator<Tables>) => Expressionish,
  ) => chain.with(name, part as never) as unknown as QueryCreator<Tables>;
  let chain: QueryCreator<Tables> = db;
  if (steps.length > 0) chain = add(chain, "steps", (qc) => upsertRunSteps(qc, writes.runId, steps));
  writes.attempts.forEach((row, i) => {
    chain = add(chain, `attempt_${i}`, (qc) => attemptUpsert(qc, row));
  });
  if (enqueue.length > 0) chain = add(chain, "queued", (qc) => insertJobsPg(qc, enqueue));
  const { take } = writes;
  if (!take) {
    await chain.updateTable("runs").set(writes.run).where("id", "=", writes.runId).execute();
    return undefined;
  }
  return add(chain, "run_update", (qc) =>
    qc.updateTable("runs").set(writes.run).where("id", "=", writes.runId),
  )
    .insertInto("jobs")
    .values({ ...take.job, status: "running", worker_id: take.workerId, lease_until: take.leaseUntil })
    .returningAll()
    .executeTakeFirstOrThrow();
}
