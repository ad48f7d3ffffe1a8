import type { StepResult } from "../vocabulary/statuses.js";

export type InnerStepStatus = "succeeded" | "failed" | "timed_out" | "cancelled" | "skipped";

/** How one step of a job ended; a job's item keeps them in order, with the job's own outcome. */
export interface InnerStepState {
  /** The step's `id:`, when it has one. */
  id?: string;
  name: string;
  status: InnerStepStatus;
  /** After continue_on_error, as GitHub's `steps.<id>.conclusion`; the DAG's word for it is `result`. */
  result: StepResult;
  outcome: StepResult;
  outputs: Record<string, unknown>;
  exitCode?: number | null;
  error?: string;
  startedAt?: number;
  finishedAt?: number;
}
