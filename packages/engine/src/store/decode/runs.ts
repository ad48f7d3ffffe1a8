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

/** The planner's state; null for a run whose state was never written (a pending or skipped run's). */
export function decodeRunState(row: { state_json: string }): RunState | null {
  return parseColumn<RunState | null>(row.state_json);
}

/** The workflow's outputs; null until the run finished. */
export function decodeRunOutputs(row: { outputs_json: string | null }): Record<string, unknown> | null {
  return row.outputs_json ? parseColumn<Record<string, unknown>>(row.outputs_json) : null;
}
