import {
  Masker,
  onlyWaiting,
  type RunInfo,
  type RunState,
  stampGates,
  type WorkflowSpec,
} from "@gantry/core";
import type { Selectable, Updateable } from "kysely";
import { decodeRunInfo, decodeRunState } from "../store/decode/index.js";
import type { Db } from "../store/queries/types.js";
import { updateRun } from "../store/queries/update-run.js";
import type { RunsTable } from "../store/tables.js";
import type { SecretBox } from "./secret-box.js";

// Defined in core with the other statuses; re-exported for the service modules that read them here.
export { ACTIVE_RUN_STATUSES, TERMINAL_RUN_STATUSES } from "@gantry/core";

/** The run's info for the planner and runners, with secret inputs decrypted (in memory only). */
export function runInfo(row: Selectable<RunsTable>, box: SecretBox): RunInfo {
  const info = decodeRunInfo(row);
  if (row.secret_inputs)
    info.inputs = { ...info.inputs, ...(JSON.parse(box.open(row.secret_inputs)) as object) };
  return info;
}

/** The state of a run that has one: every run past `pending` (the planner wrote it when the run was queued). */
export function runState(row: Selectable<RunsTable>): RunState {
  return decodeRunState(row)!;
}

/** A masker for the run's secret-typed inputs: what the store keeps must never show them in clear. */
export function secretMasker(workflow: WorkflowSpec, info: RunInfo): Masker {
  const masker = new Masker();
  for (const [name, spec] of Object.entries(workflow.inputs ?? {})) {
    const value = info.inputs[name];
    if (spec.type === "secret" && typeof value === "string") masker.add(value);
  }
  return masker;
}

/** JSON of a value with the secrets masked in every string. */
export function maskedJson(value: unknown, masker: Masker | undefined): string {
  if (!masker || masker.size === 0) return JSON.stringify(value);
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "string" ? masker.mask(v) : v));
}

/**
 * The run state's JSON with the workflow outputs and the run error masked. The planner evaluates
 * workflow outputs with the secret inputs in scope (`outputs: {t: ${{ inputs.token }}}`), so they can
 * carry a secret that no step output did (those are masked as they arrive, in finishTask). The rest of
 * the state is left as it is: later tasks are prepared from it.
 */
export function maskedStateJson(state: RunState | null, masker: Masker | undefined): string {
  if (!state || !masker || masker.size === 0) return JSON.stringify(state);
  return JSON.stringify({
    ...state,
    // An approval's message is evaluated with the inputs in scope too: it is shown to people.
    steps: Object.fromEntries(
      Object.entries(state.steps).map(([id, step]) => [
        id,
        step.gate?.message === undefined
          ? step
          : { ...step, gate: { ...step.gate, message: masker.mask(step.gate.message) } },
      ]),
    ),
    outputs: JSON.parse(maskedJson(state.outputs, masker)),
    ...(state.error !== undefined ? { error: masker.mask(state.error) } : {}),
  });
}

/** Writes the planner's state back, with the run's status and times derived from it. */
export async function saveState(
  db: Db,
  row: Selectable<RunsTable>,
  state: RunState,
  now: number,
  options: { started?: boolean; masker?: Masker } = {},
): Promise<void> {
  await updateRun(db, row.id, stateChanges(row, state, now, options));
}

/** The run's columns saveState writes: the state, and the status and times derived from it. */
export function stateChanges(
  row: Selectable<RunsTable>,
  state: RunState,
  now: number,
  options: { started?: boolean; masker?: Masker } = {},
): Updateable<RunsTable> {
  const finished = state.status !== "running";
  stampGates(state, now);
  const status = finished
    ? state.status
    : onlyWaiting(state)
      ? "waiting"
      : options.started || row.status === "running" || row.status === "waiting"
        ? "running"
        : row.status;
  return {
    state_json: maskedStateJson(state, options.masker),
    status,
    ...(options.started && row.started_at === null ? { started_at: now } : {}),
    ...(finished
      ? {
          finished_at: now,
          outputs_json: maskedJson(state.outputs, options.masker),
          error: state.error === undefined ? null : (options.masker?.mask(state.error) ?? state.error),
        }
      : {}),
  };
}
