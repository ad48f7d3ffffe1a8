import type { RunInfo, RunState } from "@gantry/core";
import type { Selectable } from "kysely";
import type { Db } from "../store/queries/types.js";
import { updateRun } from "../store/queries/update-run.js";
import type { RunsTable } from "../store/tables.js";
import type { SecretBox } from "./secret-box.js";

export const TERMINAL_RUN_STATUSES = ["succeeded", "failed", "cancelled", "timed_out", "skipped"] as const;
export const ACTIVE_RUN_STATUSES = ["queued", "running"] as const;

/** The run's info for the planner and runners, with secret inputs decrypted (in memory only). */
export function runInfo(row: Selectable<RunsTable>, box: SecretBox): RunInfo {
  const info = JSON.parse(row.info_json) as RunInfo;
  if (row.secret_inputs)
    info.inputs = { ...info.inputs, ...(JSON.parse(box.open(row.secret_inputs)) as object) };
  return info;
}

export function runState(row: Selectable<RunsTable>): RunState {
  return JSON.parse(row.state_json) as RunState;
}

/** Writes the planner's state back, with the run's status and times derived from it. */
export async function saveState(
  db: Db,
  row: Selectable<RunsTable>,
  state: RunState,
  now: number,
  options: { started?: boolean } = {},
): Promise<void> {
  const finished = state.status !== "running";
  const status = finished
    ? state.status
    : options.started || row.status === "running"
      ? "running"
      : row.status;
  await updateRun(db, row.id, {
    state_json: JSON.stringify(state),
    status,
    ...(options.started && row.started_at === null ? { started_at: now } : {}),
    ...(finished
      ? { finished_at: now, outputs_json: JSON.stringify(state.outputs), error: state.error ?? null }
      : {}),
  });
}
