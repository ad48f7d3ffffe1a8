import type { InnerStepState, RunState, StepState } from "@gantry/core";

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
  /** A job's steps (of its last attempt), when it is not fanned out. */
  steps?: InnerStepReport[];
  items?: Array<{
    item: unknown;
    /** A matrix leg's name, its values: `18, ubuntu`. */
    name?: string;
    status: string;
    attempts: number;
    outputs: Record<string, unknown>;
    exit_code: number | null;
    steps?: InnerStepReport[];
  }>;
}

/** One step of a job, as the API and `gantry run --json` show it. */
export interface InnerStepReport {
  id: string | null;
  name: string;
  status: InnerStepState["status"];
  result: InnerStepState["result"];
  outcome: InnerStepState["outcome"];
  outputs: Record<string, unknown>;
  exit_code: number | null;
  duration_ms: number | null;
  error?: string;
}

function innerReport(steps: InnerStepState[]): InnerStepReport[] {
  return steps.map((s) => ({
    id: s.id ?? null,
    name: s.name,
    status: s.status,
    result: s.result,
    outcome: s.outcome,
    outputs: s.outputs,
    exit_code: s.exitCode ?? null,
    duration_ms: s.startedAt !== undefined && s.finishedAt !== undefined ? s.finishedAt - s.startedAt : null,
    ...(s.error ? { error: s.error } : {}),
  }));
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
    ...(!step.fanOut && last?.steps ? { steps: innerReport(last.steps) } : {}),
    ...(step.fanOut
      ? {
          items: step.items.map((i) => ({
            item: i.item,
            ...(i.name !== undefined ? { name: i.name } : {}),
            ...(i.steps ? { steps: innerReport(i.steps) } : {}),
            status: i.status,
            attempts: i.attempts,
            outputs: i.outputs,
            exit_code: i.exitCode ?? null,
          })),
        }
      : {}),
  };
}
