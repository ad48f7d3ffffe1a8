import type { EnvironmentPolicy, GateState } from "../approvals/types.js";
import type { InnerStepState } from "../jobs/state.js";
import type { RunNodes } from "../nodes/types.js";
import type { ItemStatus, RunStatus, StepResult, StepStatus } from "../vocabulary/statuses.js";

/** The state of a run, as the planner reads and updates it. Plain JSON, so a store can keep it as it is. */

/** One execution unit: a step, or one item of a `for_each` step. */
export interface ItemState {
  item?: unknown;
  /** A matrix leg's name: its values, `18, ubuntu`. */
  name?: string;
  /** A job's steps, as they ended (the last attempt's). */
  steps?: InnerStepState[];
  status: ItemStatus;
  /** Attempts started or queued so far; the first try is attempt 1. */
  attempts: number;
  /** Of those, tries whose worker was lost (each queued the next try; see WorkerLostSpec). */
  lost?: number;
  outputs: Record<string, unknown>;
  exitCode?: number | null;
  error?: string;
  /** Times the engine reported, in ms since the epoch (core has no clock of its own). */
  startedAt?: number;
  finishedAt?: number;
}

export interface StepState {
  status: StepStatus;
  result?: StepResult;
  /** The result before continue_on_error, as GitHub's `steps.<id>.outcome`. */
  outcome?: StepResult;
  continueOnError?: boolean;
  fanOut: boolean;
  /** Its items are the legs of a matrix (`item` holds the leg's values). */
  matrix?: boolean;
  items: ItemState[];
  outputs: Record<string, unknown>;
  error?: string;
  /** Set on an approval node and on a step whose environment needs approval. */
  gate?: GateState;
  /**
   * The results of every step it depends on, directly or further up, summed up when it was decided
   * (they are final by then): all succeeded, any failed. Its dependents' status functions are then read
   * from their direct needs, not from a walk up the whole graph.
   */
  ancestry?: { succeeded: boolean; failed: boolean };
}

export interface RunState {
  status: RunStatus;
  cancelRequested: boolean;
  steps: Record<string, StepState>;
  outputs: Record<string, unknown>;
  error?: string;
}

/** Facts about the run that expressions can read; fixed for the run's life. */
export interface RunInfo {
  id: string;
  workflow: string;
  /** 1 for the first run, 2 for its first re-run, and so on. */
  attempt: number;
  trigger: { type: string; [key: string]: unknown };
  inputs: Record<string, unknown>;
  secrets?: Record<string, string>;
  vars?: Record<string, unknown>;
  github?: Record<string, unknown>;
  /** The inventory nodes its steps target, chosen when it started (see nodes/run-nodes.ts). */
  nodes?: RunNodes;
  /** The gantry.yaml environments its steps use, as they were when it started. */
  environments?: Record<string, EnvironmentPolicy>;
}

/** A task the engine should start: an item of a step, at an attempt, after a delay (for retries). */
export interface Task {
  step: string;
  index: number;
  attempt: number;
  delayMs: number;
}

export interface TaskOutcome {
  status: "succeeded" | "failed" | "timed_out" | "cancelled";
  exitCode?: number | null;
  outputs?: Record<string, unknown>;
  error?: string;
  startedAt?: number;
  finishedAt?: number;
  /** False for failures that a retry cannot fix, such as an expression that does not evaluate. */
  retryable?: boolean;
  /** A job's steps, as they ended. */
  steps?: InnerStepState[];
  /**
   * The try's worker was lost (its lease ran out, or it stopped the step when it could not renew it):
   * an infrastructure failure, retried under `worker_lost`, not `retry`.
   */
  workerLost?: boolean;
}

export const TERMINAL_ITEM: ReadonlySet<ItemStatus> = new Set([
  "succeeded",
  "failed",
  "timed_out",
  "cancelled",
]);
export const TERMINAL_STEP: ReadonlySet<StepStatus> = new Set([
  "succeeded",
  "failed",
  "timed_out",
  "cancelled",
  "skipped",
]);
