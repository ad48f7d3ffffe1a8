import { parseDuration } from "../format/duration.js";
import type { WorkflowSpec } from "../format/types.js";
import { DEFAULT_TIMEZONE } from "./cron.js";

/** One `on.schedule` entry as written (the core JSON Schema checks its shape). */
export interface ScheduleEntry {
  cron: string;
  name?: string;
  timezone?: string;
  inputs?: Record<string, unknown>;
  concurrency?: ScheduleConcurrency;
  starting_deadline?: string | number;
  catch_up?: CatchUp;
  suspend?: boolean;
}

export type ScheduleConcurrency = "allow" | "forbid" | "replace";
export type CatchUp = "none" | "latest" | "all";

/** An entry with its defaults applied and its id: what the `schedules` table stores. */
export interface ScheduleSpec {
  id: string;
  workflow: string;
  position: number;
  cron: string;
  timezone: string;
  inputs: Record<string, unknown>;
  concurrency: ScheduleConcurrency;
  startingDeadlineMs: number | null;
  catchUp: CatchUp;
  suspend: boolean;
}

/** Kubernetes' default as well: after downtime, start the most recent missed time only. */
export const DEFAULT_CATCH_UP: CatchUp = "latest";

/** `on.schedule` is a list of entries or a single entry (a map). */
export function scheduleEntries(workflow: Pick<WorkflowSpec, "on">): ScheduleEntry[] {
  const value = workflow.on?.schedule;
  if (Array.isArray(value)) return value as ScheduleEntry[];
  if (value !== null && typeof value === "object") return [value as ScheduleEntry];
  return [];
}

/**
 * A schedule's id: `<workflow>:<name>`, or `<workflow>:<index>` for an unnamed entry. Suspension and
 * the fire history follow the id, so name an entry to keep them when the list is reordered.
 */
export function scheduleId(workflow: string, entry: Pick<ScheduleEntry, "name">, index: number): string {
  return `${workflow}:${entry.name ?? index}`;
}

export function scheduleSpecs(workflowName: string, workflow: Pick<WorkflowSpec, "on">): ScheduleSpec[] {
  return scheduleEntries(workflow).map((entry, position) => ({
    id: scheduleId(workflowName, entry, position),
    workflow: workflowName,
    position,
    cron: entry.cron.trim(),
    timezone: entry.timezone ?? DEFAULT_TIMEZONE,
    inputs: entry.inputs ?? {},
    concurrency: entry.concurrency ?? "allow",
    startingDeadlineMs: entry.starting_deadline === undefined ? null : parseDuration(entry.starting_deadline),
    catchUp: entry.catch_up ?? DEFAULT_CATCH_UP,
    suspend: entry.suspend ?? false,
  }));
}
