import type { Insertable } from "kysely";
import { cancelRun } from "../service/cancel-run.js";
import type { ServiceContext } from "../service/context.js";
import { createRun, type PreparedRun, prepareRun, type WorkflowCache } from "../service/create-run.js";
import { insertRunsWithJobs } from "../store/queries/insert-run-with-jobs.js";
import { activeScheduleRuns } from "../store/queries/schedule-active-runs.js";
import { advanceSchedules } from "../store/queries/schedule-advance.js";
import { insertScheduleFires } from "../store/queries/schedule-insert-fires.js";
import { lockSchedules } from "../store/queries/schedule-lock.js";
import type { ScheduleFiresTable } from "../store/queries/schedule-tables.js";
import type { ScheduleConcurrency } from "./entries.js";
import { contextInTransaction } from "./in-transaction.js";
import type { FirePlan } from "./plan.js";

export type FireStatus = "fired" | "skipped" | "missed" | "failed";

/** A schedule as the scheduler read it: the fire applies only if the row is still exactly this. */
export interface FireTarget {
  id: string;
  workflow: string;
  inputs: Record<string, unknown>;
  concurrency: ScheduleConcurrency;
  updatedAt: number;
  handledUntil: number;
}

export interface FireItem {
  target: FireTarget;
  plan: FirePlan;
}

export interface FireOutcome {
  schedule: string;
  at: number;
  status: FireStatus;
  runId?: string;
  reason?: string;
}

export interface AppliedFires {
  outcomes: FireOutcome[];
  /** Schedules whose row changed since it was read (another scheduler, a sync, a suspend): re-read them. */
  stale: string[];
}

/** The trigger of a run a schedule starts, in the run's record and the `trigger` context. */
export function scheduleTrigger(schedule: string, at: number, manual = false) {
  return {
    type: "schedule",
    schedule,
    scheduled_time: new Date(at).toISOString(),
    ...(manual ? { manual: true } : {}),
  };
}

/**
 * Applies planned fires in one transaction: locks the schedules' rows, checks each is still what was
 * planned from, then records every decision (starting runs for the fires, with their concurrency
 * policy) and the schedules' progress. Either all of it commits or none: a crash in between leaves the
 * times unhandled, to be fired by whichever scheduler leads next, once.
 *
 * With `failWith`, the fires are recorded as failed with that error instead of starting runs: the
 * caller's fallback when starting the run itself failed (the workflow's inputs changed under the
 * schedule's, the workflow was removed).
 */
export async function applyFires(
  ctx: ServiceContext,
  items: FireItem[],
  options: { failWith?: Error } = {},
): Promise<AppliedFires> {
  const outcomes: FireOutcome[] = [];
  const stale: string[] = [];
  const flushes: Array<() => Promise<void>> = [];
  await ctx.database.db.transaction().execute(async (tx) => {
    outcomes.length = 0;
    stale.length = 0;
    const { ctx: inTx, flush } = contextInTransaction(ctx, tx);
    flushes.push(flush);
    const ids = items.map((i) => i.target.id);
    const rows = new Map((await lockSchedules(tx, ctx.database.dialect, ids)).map((r) => [r.id, r]));
    const records: Insertable<ScheduleFiresTable>[] = [];
    const prepared: PreparedRun[] = [];
    const workflows: WorkflowCache = new Map();
    const advanced: FireItem[] = [];
    for (const item of items) {
      const { target } = item;
      const row = rows.get(target.id);
      // Suspended, redefined or handled by another scheduler since it was read: not ours to fire.
      const unchanged =
        row !== undefined &&
        row.suspended === 0 &&
        Number(row.updated_at) === target.updatedAt &&
        Number(row.handled_until) === target.handledUntil;
      if (!unchanged) {
        stale.push(target.id);
        continue;
      }
      for (const decision of item.plan.decisions) {
        const outcome =
          decision.action === "missed"
            ? { schedule: target.id, at: decision.at, status: "missed" as const, reason: decision.reason }
            : options.failWith
              ? {
                  schedule: target.id,
                  at: decision.at,
                  status: "failed" as const,
                  reason: options.failWith.message,
                }
              : ((await prepareFire(inTx, target, decision.at, prepared, workflows)) ??
                (await fireOne(inTx, target, decision.at)));
        outcomes.push(outcome);
        records.push({
          schedule_id: target.id,
          scheduled_at: decision.at,
          kind: "cron",
          status: outcome.status,
          run_id: outcome.runId ?? null,
          reason: outcome.reason ?? null,
          recorded_at: ctx.now(),
        });
      }
      advanced.push(item);
    }
    // The runs of the batch's plain fires, in a few statements rather than one or two each.
    await insertRunsWithJobs(
      tx,
      prepared.map((p) => p.run),
      prepared.flatMap((p) => p.jobs),
    );
    if (prepared.length > 0) await inTx.notifier.notify("jobs");
    await insertScheduleFires(tx, records);
    const byUntil = new Map<number, string[]>();
    for (const item of advanced) {
      const ids = byUntil.get(item.plan.handledUntil) ?? [];
      ids.push(item.target.id);
      byUntil.set(item.plan.handledUntil, ids);
    }
    for (const [until, ids] of byUntil) await advanceSchedules(tx, ids, until);
  });
  for (const flush of flushes.splice(0)) await flush();
  return { outcomes, stale };
}

/**
 * A fire that needs no decision (concurrency: allow, a workflow without a concurrency group): its run's
 * rows join `prepared`, written with the batch's others. Undefined when the fire needs `fireOne`.
 */
async function prepareFire(
  ctx: ServiceContext,
  target: FireTarget,
  at: number,
  prepared: PreparedRun[],
  workflows: WorkflowCache,
): Promise<FireOutcome | undefined> {
  if (target.concurrency !== "allow") return undefined;
  const request = {
    workflow: target.workflow,
    inputs: target.inputs,
    trigger: scheduleTrigger(target.id, at),
  };
  const run = await prepareRun(ctx, request, workflows);
  if (!run) return undefined;
  prepared.push(run);
  return { schedule: target.id, at, status: "fired", runId: run.id };
}

async function fireOne(ctx: ServiceContext, target: FireTarget, at: number): Promise<FireOutcome> {
  let reason: string | undefined;
  if (target.concurrency !== "allow") {
    const active = await activeScheduleRuns(ctx.database.db, target.workflow, target.id);
    if (active.length > 0 && target.concurrency === "forbid") {
      return {
        schedule: target.id,
        at,
        status: "skipped",
        reason: `run ${active.join(", ")} of this schedule is still active (concurrency: forbid)`,
      };
    }
    if (active.length > 0) {
      for (const id of active) await cancelRun(ctx, id);
      reason = `cancelled run ${active.join(", ")} of this schedule (concurrency: replace)`;
    }
  }
  const run = await createRun(ctx, {
    workflow: target.workflow,
    inputs: target.inputs,
    trigger: scheduleTrigger(target.id, at),
  });
  if (run.status !== "queued") {
    const note = `the run is ${run.status} (the workflow's concurrency group)`;
    reason = reason ? `${reason}; ${note}` : note;
  }
  return { schedule: target.id, at, status: "fired", runId: run.id, ...(reason ? { reason } : {}) };
}

/**
 * Whether an error came from the database (connection lost, deadlock: try again later) rather than from
 * starting the run (bad inputs, unknown workflow: record the fire as failed). Postgres and SQLite
 * errors carry a `code`; the service's own errors do not.
 */
export function isDatabaseError(error: unknown): boolean {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
}

/** A primary key or unique constraint violation (Postgres 23505, SQLite SQLITE_CONSTRAINT_*). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
}
