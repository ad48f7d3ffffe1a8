import type { PreparedTask, RunState, StepStatus } from "@gantry/core";
import type { Stream } from "../runners/types.js";

/** Everything a run reports while it goes, in order. Consumers (the CLI, later the store) render these. */
export type RunEvent =
  | { type: "task-started"; task: PreparedTask; at: number }
  | { type: "line"; step: string; index: number; attempt: number; stream: Stream; line: string; at: number }
  | {
      type: "task-finished";
      task: PreparedTask;
      status: "succeeded" | "failed" | "timed_out" | "cancelled";
      exitCode: number | null;
      error?: string;
      retryInMs?: number;
      at: number;
    }
  | { type: "step-status"; step: string; status: StepStatus; error?: string; at: number }
  | { type: "run-finished"; state: RunState; at: number };
