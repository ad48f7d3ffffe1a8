import type { RunState, StepState } from "@gantry/core";

/** The JSON shape of a finished run, shared by `gantry run --json` and the API. */
export interface RunReport {
  id: string;
  status: RunState["status"];
  outputs: Record<string, unknown>;
  error?: string;
  steps: Record<string, StepReport>;
}

export interface StepReport {
  status: StepState["status"];
  result: StepState["result"] | null;
  attempts: number;
  outputs: Record<string, unknown>;
  exit_code: number | null;
  duration_ms: number | null;
  error?: string;
  items?: Array<{
    item: unknown;
    status: string;
    attempts: number;
    outputs: Record<string, unknown>;
    exit_code: number | null;
  }>;
}

export function runReport(id: string, state: RunState): RunReport {
  const steps: Record<string, StepReport> = {};
  for (const [name, step] of Object.entries(state.steps)) steps[name] = stepReport(step);
  return {
    id,
    status: state.status,
    outputs: state.outputs,
    ...(state.error ? { error: state.error } : {}),
    steps,
  };
}

function stepReport(step: StepState): StepReport {
  const starts = step.items.map((i) => i.startedAt).filter((t): t is number => t !== undefined);
  const ends = step.items.map((i) => i.finishedAt).filter((t): t is number => t !== undefined);
  const error = step.error ?? step.items.find((i) => i.error && i.status !== "succeeded")?.error;
  const last = step.items.at(-1);
  return {
    status: step.status,
    result: step.result ?? null,
    // For a for_each step, the most any item needed.
    attempts: step.items.reduce(
      (max, i) => Math.max(max, i.status === "cancelled" && !i.startedAt ? 0 : i.attempts),
      0,
    ),
    outputs: step.outputs,
    exit_code: step.fanOut ? null : (last?.exitCode ?? null),
    duration_ms: starts.length && ends.length ? Math.max(...ends) - Math.min(...starts) : null,
    ...(error ? { error } : {}),
    ...(step.fanOut
      ? {
          items: step.items.map((i) => ({
            item: i.item,
            status: i.status,
            attempts: i.attempts,
            outputs: i.outputs,
            exit_code: i.exitCode ?? null,
          })),
        }
      : {}),
  };
}
