import type { PreparedTask } from "@gantry/core";

export type Stream = "stdout" | "stderr";

/** Where a task runs and what the runner needs besides the prepared task. */
export interface RunnerTask {
  task: PreparedTask;
  runId: string;
  /** The folder that holds the action's files, for `uses:` steps. */
  actionDir?: string;
  /** Called for each complete line a step prints, without its newline. */
  onLine: (stream: Stream, line: string) => void;
  signal: AbortSignal;
  /** Back-pressure: while `full`, the runner stops reading the step's output until `waitForRoom`. */
  flow?: { readonly full: boolean; waitForRoom(): Promise<void> };
}

export interface RunnerResult {
  status: "succeeded" | "failed" | "timed_out" | "cancelled";
  exitCode: number | null;
  outputs: Record<string, unknown>;
  error?: string;
  startedAt: number;
  finishedAt: number;
}

/** A place where steps run: the local machine, a container engine, a Kubernetes cluster. */
export interface RunnerLike {
  run(task: RunnerTask): Promise<RunnerResult>;
}
