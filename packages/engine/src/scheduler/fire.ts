import type { FirePlan, ScheduleConcurrency } from "@gantry/core";
import type { Insertable } from "kysely";
import { cancelRun } from "../service/cancel-run.js";
import type { ServiceContext } from "../service/context.js";
import {
  createRun,
  notifiesAsCreated,
  notifyCreated,
  type PreparedRun,
  prepareRun,
  restamp,
  type WorkflowCache,
} from "../service/create-run.js";
import { type UnitOfWork, withUnitOfWork } from "../service/unit-of-work.js";
import { insertMany } from "../store/queries/insert-many.js";
import { activeScheduleRuns } from "../store/queries/schedule-active-runs.js";
import { claimSchedules } from "../store/queries/schedule-claim.js";
import type { ScheduleFiresTable } from "../store/queries/schedule-tables.js";
import type { Db } from "../store/queries/types.js";

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
  /** Its run for one of the planned times, prepared ahead; used only if nothing it depends on changed. */
  ready?: ReadyFire;
}

/** A fire's run, prepared before its time from the schedule and workflow as they were then. */
export interface ReadyFire {
  at: number;
  /** The schedule row's `updated_at` it was prepared from. */
  updatedAt: number;
  run: PreparedRun;
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
 * Applies planned fires in one transaction: claims the schedules whose rows are still what was planned
 * from (advancing their progress, locking them), then records every decision (starting runs for the
 * fires, with their concurrency policy). Either all of it commits or none: a crash in between leaves the
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
  return withUnitOfWork(ctx, async (tx) => {
    const outcomes: FireOutcome[] = [];
    const stale: string[] = [];
    // Suspended, redefined or handled by another scheduler since it was read: not ours to fire.
    const claimed = await claimSchedules(
      tx.db,
      ctx.database.dialect,
      items.map(({ target, plan }) => ({ ...target, until: plan.handledUntil })),
    );
    const records: Insertable<ScheduleFiresTable>[] = [];
    const prepared: PreparedRun[] = [];
    const workflows: WorkflowCache = new Map();
    const now = ctx.now();
    for (const item of items) {
      const { target } = item;
      if (!claimed.has(target.id)) {
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
              : (useReady(item, decision.at, claimed.get(target.id), now, prepared) ??
                (await prepareFire(ctx, tx, target, decision.at, prepared, workflows)) ??
                (await fireOne(ctx, tx, target, decision.at)));
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
    }
    // The runs of the batch's plain fires and every fire's record: one statement on Postgres.
    await insertMany(
      tx.db,
      ctx.database.dialect,
      { table: "runs", rows: prepared.map((p) => p.run) },
      { table: "run_steps", rows: prepared.flatMap((p) => p.steps) },
      { table: "jobs", rows: prepared.flatMap((p) => p.jobs) },
      { table: "schedule_fires", rows: records },
    );
    if (prepared.length > 0) tx.notify("jobs");
    // A run that starts by waiting for a person, or ends as it starts, tells whoever notify: names.
    for (const p of prepared) if (notifiesAsCreated(p.run)) await notifyCreated(ctx, tx.db, p.id, p.now);
    return { outcomes, stale };
  });
}

/** The fire's run prepared ahead, when it is for this time and from the current schedule and workflow. */
function useReady(
  item: FireItem,
  at: number,
  revision: string | null | undefined,
  now: number,
  prepared: PreparedRun[],
): FireOutcome | undefined {
  const { ready, target } = item;
  if (!ready || ready.at !== at || ready.updatedAt !== target.updatedAt) return undefined;
  if (target.concurrency !== "allow" || revision !== ready.run.run.revision) return undefined;
  prepared.push(restamp(ready.run, now));
  return { schedule: target.id, at, status: "fired", runId: ready.run.id };
}

/**
 * A fire that needs no decision (concurrency: allow, a workflow without a concurrency group): its run's
 * rows join `prepared`, written with the batch's others. Undefined when the fire needs `fireOne`.
 */
async function prepareFire(
  ctx: ServiceContext,
  tx: UnitOfWork,
  target: FireTarget,
  at: number,
  prepared: PreparedRun[],
  workflows: WorkflowCache,
): Promise<FireOutcome | undefined> {
  const run = await prepareScheduledRun(ctx, tx.db, target, at, workflows);
  if (!run) return undefined;
  prepared.push(run);
  return { schedule: target.id, at, status: "fired", runId: run.id };
}

/**
 * The rows of the run a fire starts, when it needs no decision at its time (concurrency: allow, a
 * workflow without a concurrency group): written with its batch's others, or prepared ahead by the
 * scheduler. Undefined when the fire needs `fireOne`.
 */
export async function prepareScheduledRun(
  ctx: ServiceContext,
  db: Db,
  target: FireTarget,
  at: number,
  workflows: WorkflowCache,
): Promise<PreparedRun | undefined> {
  if (target.concurrency !== "allow") return undefined;
  return prepareRun(ctx, db, fireRequest(target, at), workflows);
}

/** What starts the run of a schedule's time `at`. */
function fireRequest(target: FireTarget, at: number) {
  return { workflow: target.workflow, inputs: target.inputs, trigger: scheduleTrigger(target.id, at) };
}

async function fireOne(
  ctx: ServiceContext,
  tx: UnitOfWork,
  target: FireTarget,
  at: number,
): Promise<FireOutcome> {
  let reason: string | undefined;
  if (target.concurrency !== "allow") {
    const active = await activeScheduleRuns(tx.db, target.workflow, target.id);
    if (active.length > 0 && target.concurrency === "forbid") {
      return {
        schedule: target.id,
        at,
        status: "skipped",
        reason: `run ${active.join(", ")} of this schedule is still active (concurrency: forbid)`,
      };
    }
    if (active.length > 0) {
      for (const id of active) await cancelRun(ctx, tx, id);
      reason = `cancelled run ${active.join(", ")} of this schedule (concurrency: replace)`;
    }
  }
  const run = await createRun(ctx, tx, fireRequest(target, at));
  if (run.status !== "queued") {
    const note = `the run is ${run.status} (the workflow's concurrency group)`;
    reason = reason ? `${reason}; ${note}` : note;
  }
  return { schedule: target.id, at, status: "fired", runId: run.id, ...(reason ? { reason } : {}) };
}
