import { cronProblem, type ScheduleSpec, scheduleSpecs } from "@gantry/core";
import type { Insertable } from "kysely";
import type { ServiceContext } from "../service/context.js";
import type { UnitOfWork } from "../service/unit-of-work.js";
import { decodeDefinition } from "../store/decode/index.js";
import { listWorkflows } from "../store/queries/list-workflows.js";
import { advanceSchedules } from "../store/queries/schedule-advance.js";
import { deleteSchedules } from "../store/queries/schedule-delete.js";
import { listSchedules } from "../store/queries/schedule-list.js";
import type { ScheduleRow, SchedulesTable } from "../store/queries/schedule-tables.js";
import { upsertSchedules } from "../store/queries/schedule-upsert.js";

export interface SyncResult {
  added: string[];
  changed: string[];
  removed: string[];
  /** Entries left out because their cron or time zone is unusable (the loader normally refuses them). */
  problems: string[];
}

/**
 * Makes the `schedules` table match the registered workflows' `on.schedule` entries. Call it when the
 * scheduler starts and after workflows are registered (`registerFolder`). Only what changed is written:
 * - a new schedule counts from now (no fires for times before it existed);
 * - a changed cron expression or time zone also counts from now, so the new expression does not
 *   "catch up" times it never had;
 * - `suspended` is kept, unless the file's `suspend:` changed since the last sync: then the file wins.
 * This process's schedulers hear of a change once the caller's unit of work commits.
 */
export async function syncSchedules(ctx: ServiceContext, unit: UnitOfWork): Promise<SyncResult> {
  const { db: tx } = unit;
  const result: SyncResult = { added: [], changed: [], removed: [], problems: [] };
  const wanted = new Map<string, ScheduleSpec>();
  for (const workflow of await listWorkflows(tx)) {
    const definition = decodeDefinition(workflow);
    for (const spec of scheduleSpecs(workflow.name, definition.workflow)) {
      const problem = cronProblem(spec.cron, spec.timezone);
      if (problem) result.problems.push(`${spec.id}: ${problem}`);
      else wanted.set(spec.id, spec);
    }
  }
  const now = ctx.now();
  const existing = new Map((await listSchedules(tx)).map((r) => [r.id, r]));
  const writes: Insertable<SchedulesTable>[] = [];
  const redefined: string[] = [];
  for (const spec of wanted.values()) {
    const row = existing.get(spec.id);
    const columns = columnsOf(spec);
    if (!row) {
      writes.push({
        id: spec.id,
        ...columns,
        suspended: columns.suspend_file,
        handled_until: now,
        created_at: now,
        updated_at: now,
      });
      result.added.push(spec.id);
      continue;
    }
    if (sameColumns(row, columns)) continue;
    const fileChanged = Number(row.suspend_file) !== columns.suspend_file;
    writes.push({
      id: spec.id,
      ...columns,
      suspended: fileChanged ? columns.suspend_file : Number(row.suspended),
      // Not written by the update (upsertSchedules): a sync racing with a fire must not re-open a
      // time the fire just handled. advanceSchedules below only ever moves it forwards.
      handled_until: Number(row.handled_until),
      created_at: Number(row.created_at),
      updated_at: Math.max(now, Number(row.updated_at) + 1),
    });
    if (row.cron !== spec.cron || row.timezone !== spec.timezone) redefined.push(spec.id);
    result.changed.push(spec.id);
  }
  await upsertSchedules(tx, writes);
  await advanceSchedules(tx, redefined, now);
  const gone = [...existing.keys()].filter((id) => !wanted.has(id));
  await deleteSchedules(tx, gone);
  result.removed.push(...gone);
  if (result.added.length + result.changed.length + result.removed.length > 0)
    unit.afterCommit(() => ctx.changes.schedules.notify());
  return result;
}

function columnsOf(spec: ScheduleSpec) {
  return {
    workflow: spec.workflow,
    position: spec.position,
    cron: spec.cron,
    timezone: spec.timezone,
    inputs_json: JSON.stringify(spec.inputs),
    concurrency: spec.concurrency,
    starting_deadline_ms: spec.startingDeadlineMs,
    catch_up: spec.catchUp,
    suspend_file: spec.suspend ? 1 : 0,
  };
}

function sameColumns(row: ScheduleRow, columns: ReturnType<typeof columnsOf>): boolean {
  return (
    row.workflow === columns.workflow &&
    Number(row.position) === columns.position &&
    row.cron === columns.cron &&
    row.timezone === columns.timezone &&
    row.inputs_json === columns.inputs_json &&
    row.concurrency === columns.concurrency &&
    (row.starting_deadline_ms === null ? null : Number(row.starting_deadline_ms)) ===
      columns.starting_deadline_ms &&
    row.catch_up === columns.catch_up &&
    Number(row.suspend_file) === columns.suspend_file
  );
}
