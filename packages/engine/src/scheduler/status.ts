import type { CatchUp, ScheduleConcurrency } from "@gantry/core";
import { compileCron, nextTimes } from "@gantry/core";
import { NotFoundError, type ServiceContext } from "../service/context.js";
import { decodeInputs } from "../store/decode/index.js";
import { getSchedule } from "../store/queries/schedule-get.js";
import { lastScheduleFires } from "../store/queries/schedule-last-fires.js";
import { listSchedules } from "../store/queries/schedule-list.js";
import { listScheduleFires } from "../store/queries/schedule-list-fires.js";
import type { ScheduleFireRow, ScheduleRow } from "../store/queries/schedule-tables.js";
import type { FireStatus } from "./fire.js";

export interface ScheduleFire {
  scheduledAt: number;
  kind: "cron" | "manual";
  status: FireStatus;
  runId: string | null;
  reason: string | null;
  recordedAt: number;
}

/** A schedule as the API shows it: its definition, state, next times and latest fire. */
export interface ScheduleStatus {
  id: string;
  workflow: string;
  cron: string;
  timezone: string;
  state: "active" | "suspended";
  inputs: Record<string, unknown>;
  concurrency: ScheduleConcurrency;
  catchUp: CatchUp;
  startingDeadlineMs: number | null;
  /** The next times it fires (none while suspended). */
  next: number[];
  lastFire: ScheduleFire | null;
}

export async function listScheduleStatus(
  ctx: ServiceContext,
  options: { next?: number; workflow?: string } = {},
): Promise<ScheduleStatus[]> {
  const rows = await listSchedules(ctx.database.db, options.workflow ? { workflow: options.workflow } : {});
  const last = await lastScheduleFires(
    ctx.database.db,
    rows.map((r) => r.id),
  );
  const now = ctx.now();
  return rows.map((row) => statusOf(row, last.get(row.id), now, options.next ?? 5));
}

export async function getScheduleStatus(
  ctx: ServiceContext,
  id: string,
  options: { next?: number } = {},
): Promise<ScheduleStatus> {
  const row = await getSchedule(ctx.database.db, id);
  if (!row) throw new NotFoundError(`unknown schedule '${id}'`);
  const last = await lastScheduleFires(ctx.database.db, [id]);
  return statusOf(row, last.get(id), ctx.now(), options.next ?? 5);
}

/** A schedule's fire history, newest first. A removed schedule's history is still there. */
export async function scheduleFires(
  ctx: ServiceContext,
  id: string,
  options: { limit?: number; before?: number } = {},
): Promise<ScheduleFire[]> {
  const rows = await listScheduleFires(ctx.database.db, id, {
    limit: options.limit ?? 50,
    ...(options.before !== undefined ? { before: options.before } : {}),
  });
  if (rows.length === 0 && !(await getSchedule(ctx.database.db, id)))
    throw new NotFoundError(`unknown schedule '${id}'`);
  return rows.map(fireOf);
}

function statusOf(
  row: ScheduleRow,
  last: ScheduleFireRow | undefined,
  now: number,
  count: number,
): ScheduleStatus {
  const suspended = row.suspended !== 0;
  let next: number[] = [];
  if (!suspended && count > 0) {
    try {
      next = nextTimes(compileCron(row.cron, row.timezone), Math.max(Number(row.handled_until), now), count);
    } catch {
      next = [];
    }
  }
  return {
    id: row.id,
    workflow: row.workflow,
    cron: row.cron,
    timezone: row.timezone,
    state: suspended ? "suspended" : "active",
    inputs: decodeInputs(row),
    concurrency: row.concurrency as ScheduleConcurrency,
    catchUp: row.catch_up as CatchUp,
    startingDeadlineMs: row.starting_deadline_ms === null ? null : Number(row.starting_deadline_ms),
    next,
    lastFire: last ? fireOf(last) : null,
  };
}

function fireOf(row: ScheduleFireRow): ScheduleFire {
  return {
    scheduledAt: Number(row.scheduled_at),
    kind: row.kind as ScheduleFire["kind"],
    status: row.status as FireStatus,
    runId: row.run_id,
    reason: row.reason,
    recordedAt: Number(row.recorded_at),
  };
}
