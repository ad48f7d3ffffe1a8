import type { RunInfo, RunState } from "@gantry/core";
import { parseColumn } from "./json-column.js";

/** What started a run (`trigger.type` and what that trigger recorded). */
export type RunTrigger = RunInfo["trigger"];

export function decodeRunTrigger(row: { trigger_json: string }): RunTrigger {
  return parseColumn<RunTrigger>(row.trigger_json);
}

/** The run's info as stored: without its secret inputs (service/run-record.ts adds those back). */
export function decodeRunInfo(row: { info_json: string }): RunInfo {
  return parseColumn<RunInfo>(row.info_json);
}

/** One step's part of a run's state, as `run_steps` keeps it. */
export interface RunStepRow {
  step: string;
  position: number;
  state_json: string;
}

/**
 * The planner's state; null for a run whose state was never written (a pending or skipped run's).
 * `runs.state_json` holds the run's header and `run_steps` its steps (`steps`: the run's rows, read with
 * it, in `position` order); a run written before `run_steps` existed has its steps in the header, under
 * those rows.
 */
export function decodeRunState(
  row: { state_json: string },
  steps: readonly RunStepRow[] = [],
): RunState | null {
  const state = parseColumn<(RunState & { rev?: number }) | null>(row.state_json);
  if (!state) return state;
  delete state.rev;
  state.steps ??= {};
  for (const step of steps) state.steps[step.step] = parseColumn<RunState["steps"][string]>(step.state_json);
  return state;
}

/**
 * How many times the run's state was written: the header's `rev`, its last key (0 for a run written
 * before it was counted). Read from the text, so the header is not parsed twice.
 */
export function decodeRunRev(row: { state_json: string }): number {
  const found = /"rev":(\d+)\}$/.exec(row.state_json);
  return found ? Number(found[1]) : 0;
}

/** The workflow's outputs; null until the run finished. */
export function decodeRunOutputs(row: { outputs_json: string | null }): Record<string, unknown> | null {
  return row.outputs_json ? parseColumn<Record<string, unknown>>(row.outputs_json) : null;
}
