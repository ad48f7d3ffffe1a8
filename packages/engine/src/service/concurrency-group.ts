import { type Admission, admitToGroup, type ConcurrencyGroup } from "@gantry/core";
import { sql } from "kysely";
import { enqueueJobs } from "../store/queries/enqueue-jobs.js";
import type { Db } from "../store/queries/types.js";
import type { ServiceContext } from "./context.js";
import { jobsFor } from "./jobs.js";
import { planStart } from "./plan-start.js";
import { ACTIVE_RUN_STATUSES, runInfo, saveState, secretMasker } from "./run-record.js";
import type { UnitOfWork } from "./unit-of-work.js";

/*
 * Concurrency groups (workflow `concurrency:`), in one place; the pure parts are core's
 * (concurrencyGroupOf evaluates a run's group, admitToGroup decides its admission):
 * - lock order: a group's lock is taken before any run row lock (lockGroup, lockGroupOfRun), so the
 *   decisions about one group are serialised and cannot deadlock with a run's lock;
 * - admission: whether a new run starts, waits or is skipped, from the policy and the group's active
 *   runs read under the lock (admitRun);
 * - start-next: when a run of a group ends, the oldest one waiting starts (startNextInGroup).
 */

/** The advisory-lock key space of concurrency groups ("gant"), apart from any other user of such locks. */
const GROUP_LOCK_SPACE = 0x67616e74;

/**
 * Serialises the decisions about one concurrency group (start, wait, skip, start the next one) across
 * processes, until the transaction ends. Without it, on PostgreSQL, runs created at the same moment all
 * see the group idle and all start, and a run that ends misses the one queued behind it meanwhile.
 * SQLite has a single writer, which serialises these transactions already.
 */
export async function lockGroup(tx: UnitOfWork, group: string): Promise<void> {
  if (tx.dialect !== "postgres") return;
  await sql`select pg_advisory_xact_lock(${GROUP_LOCK_SPACE}, hashtext(${group}))`.execute(tx.db);
}

/**
 * Locks the group of a run that may end in this transaction, before the caller locks the run's row.
 * The group is read without locking the run (the column never changes); `known` saves that read when
 * the caller has the run's row already. Returns the group locked: null without one, and on SQLite.
 */
export async function lockGroupOfRun(
  tx: UnitOfWork,
  runId: string,
  known?: string | null,
): Promise<string | null> {
  if (tx.dialect !== "postgres") return null;
  const group =
    known !== undefined
      ? known
      : ((
          await tx.db
            .selectFrom("runs")
            .select("concurrency_group")
            .where("id", "=", runId)
            .executeTakeFirst()
        )?.concurrency_group ?? null);
  if (group) await lockGroup(tx, group);
  return group;
}

/** The ids of a group's active runs. */
export async function activeInGroup(db: Db, group: string): Promise<string[]> {
  const rows = await db
    .selectFrom("runs")
    .select("id")
    .where("concurrency_group", "=", group)
    .where("status", "in", [...ACTIVE_RUN_STATUSES])
    .execute();
  return rows.map((r) => r.id);
}

/** Whether a new run of `group` starts now, under the group's lock (held until the unit commits). */
export async function admitRun(tx: UnitOfWork, group: ConcurrencyGroup): Promise<Admission> {
  await lockGroup(tx, group.name);
  return admitToGroup(group, await activeInGroup(tx.db, group.name));
}

/**
 * Starts the oldest run waiting in a concurrency group, when the group has no active run left. The
 * caller holds the group's lock (lockGroupOfRun) and wakes the workers when this returns true.
 */
export async function startNextInGroup(ctx: ServiceContext, db: Db, group: string): Promise<boolean> {
  if ((await activeInGroup(db, group)).length > 0) return false;
  let started = false;
  for (;;) {
    const next = await db
      .selectFrom("runs")
      .selectAll()
      .where("concurrency_group", "=", group)
      .where("status", "=", "pending")
      .orderBy("created_at")
      .limit(1)
      .executeTakeFirst();
    if (!next) return started;
    const definition = await ctx.definitions.at(db, next.revision);
    const info = runInfo(next, ctx.box);
    const { state, tasks } = planStart(definition, info);
    const now = ctx.now();
    await saveState(db, { ...next, status: "queued" }, state, now, {
      masker: secretMasker(definition.workflow, info),
    });
    await enqueueJobs(db, jobsFor(next.id, definition.workflow, tasks, now, definition.actions));
    started = true;
    // A run that ended as it started (every step skipped) frees the group for the one after it.
    if (state.status === "running") return true;
  }
}
