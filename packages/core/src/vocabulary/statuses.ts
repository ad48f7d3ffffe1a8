/**
 * The statuses runs, steps and items move through: one list each, so the store's queries, the API's
 * schemas and the UI's filters and badges name the same values. The types derive from the lists.
 */

/**
 * A run as the store keeps it. `pending`: behind its concurrency group's queue; `waiting`: every step
 * left waits for a person (an approval), holding no worker slot; `skipped`: its concurrency group's
 * policy refused it, so it never started.
 */
export const RUN_STATUSES = [
  "pending",
  "queued",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
  "skipped",
] as const;
export type RunRecordStatus = (typeof RUN_STATUSES)[number];

/** A run in one of these has ended and changes no more (a re-run is a new run). */
export const TERMINAL_RUN_STATUSES = [
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
  "skipped",
] as const satisfies readonly RunRecordStatus[];
export type TerminalRunStatus = (typeof TERMINAL_RUN_STATUSES)[number];

/** A run in one of these holds its concurrency group's slot. */
export const ACTIVE_RUN_STATUSES = [
  "queued",
  "running",
  "waiting",
] as const satisfies readonly RunRecordStatus[];

/** True for a status in TERMINAL_RUN_STATUSES. */
export function isTerminalRunStatus(status: string): status is TerminalRunStatus {
  return (TERMINAL_RUN_STATUSES as readonly string[]).includes(status);
}

/** The run's status in the planner's state: the planner knows only whether its steps are still going. */
export const PLANNED_RUN_STATUSES = [
  "running",
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
] as const satisfies readonly RunRecordStatus[];
export type RunStatus = (typeof PLANNED_RUN_STATUSES)[number];

/** A step of a run. */
export const STEP_STATUSES = [
  "pending",
  "running",
  "succeeded",
  "failed",
  "timed_out",
  "cancelled",
  "skipped",
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** One execution unit of a step (the step, a `for_each` item, a matrix leg). `waiting`: behind a gate. */
export const ITEM_STATUSES = [
  "queued",
  "waiting",
  "running",
  "succeeded",
  "failed",
  "timed_out",
  "cancelled",
] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/** What dependents see in `steps.<id>.result`: a failure under continue_on_error reads as success. */
export const STEP_RESULTS = ["success", "failure", "cancelled", "skipped"] as const;
export type StepResult = (typeof STEP_RESULTS)[number];
