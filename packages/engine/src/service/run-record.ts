import {
  Masker,
  onlyWaiting,
  type RunInfo,
  type RunState,
  type StepState,
  stampGates,
  type WorkflowSpec,
} from "@gantry/core";
import type { Selectable, Updateable } from "kysely";
import { decodeRunInfo, decodeRunRev, decodeRunState, type RunStepRow } from "../store/decode/index.js";
import { runStepRows, writeRunSteps } from "../store/queries/run-steps.js";
import type { Db } from "../store/queries/types.js";
import { updateRun } from "../store/queries/update-run.js";
import type { RunsTable } from "../store/tables.js";
import type { ServiceContext } from "./context.js";
import type { SecretBox } from "./secret-box.js";
import type { UnitOfWork } from "./unit-of-work.js";

// Defined in core with the other statuses; re-exported for the service modules that read them here.
export { ACTIVE_RUN_STATUSES, TERMINAL_RUN_STATUSES } from "@gantry/core";

/** The run's info for the planner and runners, with secret inputs decrypted (in memory only). */
export function runInfo(row: Selectable<RunsTable>, box: SecretBox): RunInfo {
  const info = decodeRunInfo(row);
  if (row.secret_inputs)
    info.inputs = { ...info.inputs, ...(JSON.parse(box.open(row.secret_inputs)) as object) };
  return info;
}

/**
 * The state of a run that has one (every run past `pending`: the planner wrote it when the run was
 * queued), from the run's row and its step rows, read in the caller's transaction.
 */
export async function loadRunState(db: Db, row: Selectable<RunsTable>): Promise<RunState> {
  return decodeRunState(row, await runStepRows(db, row.id))!;
}

/**
 * loadRunState for a step's start or finish: the state this process committed last for the run when
 * the run's header says nothing was written since (see RunStateCache), else from `steps` (the run's
 * step rows, when the caller read them with the row) or read from the store. The caller gives it back
 * with keepRunState once its changes are committed.
 */
export async function takeRunState(
  ctx: ServiceContext,
  db: Db,
  row: Selectable<RunsTable>,
  steps?: readonly RunStepRow[],
): Promise<RunState> {
  const cached = ctx.runStates.take(row.id, decodeRunRev(row));
  if (cached) return cached;
  // Read with the row already (see lockRunForStep).
  if (steps) return decodeRunState(row, steps)!;
  return loadRunState(db, row);
}

/**
 * Gives the state back to the process's cache once the unit of work committed the revision `rev`, with
 * the run's row as written (`state_json` is the new header): a finish can then be planned without
 * reading either (see finishUnchanged).
 */
export function keepRunState(
  ctx: ServiceContext,
  unit: UnitOfWork,
  rev: number,
  state: RunState,
  row: Selectable<RunsTable>,
) {
  unit.afterCommit(() => ctx.runStates.put(row.id, rev, state, row));
}

/** A run's row as `changes` (stateChanges' `run`) left it once written: what RunStateCache keeps. */
export function rowWritten(
  row: Selectable<RunsTable>,
  changes: Updateable<RunsTable>,
): Selectable<RunsTable> {
  return { ...row, ...changes } as Selectable<RunsTable>;
}

/** The header of a run whose run-level fields alone changed (a reason for a cancel), its count moved on. */
export function headerOnly(row: Selectable<RunsTable>, state: RunState): string {
  const rev = decodeRunRev(row) + 1;
  // A run written before run_steps keeps its steps in its header.
  if (legacyHeader(row)) return JSON.stringify({ ...state, rev });
  return stateRows(state, undefined, new Set(), rev).header;
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
 * The run state as the store keeps it: the header (`runs.state_json`: status, outputs, error) and one
 * row per step, only for the steps in `only` when given (the steps that changed). The workflow outputs
 * and the run error are masked: the planner evaluates workflow outputs with the secret inputs in scope
 * (`outputs: {t: ${{ inputs.token }}}`), so they can carry a secret that no step output did (those are
 * masked as they arrive, in finishTask); so is an approval's message, shown to people. The rest is kept
 * as it is: later tasks are prepared from it.
 */
export function stateRows(
  state: RunState | null,
  masker: Masker | undefined,
  only?: ReadonlySet<string>,
  rev = 1,
): { header: string; steps: RunStepRow[] } {
  if (!state) return { header: "null", steps: [] };
  const masking = masker !== undefined && masker.size > 0;
  const { steps: all, ...rest } = state;
  const header = masking
    ? {
        ...rest,
        outputs: JSON.parse(maskedJson(state.outputs, masker)),
        ...(state.error !== undefined ? { error: masker.mask(state.error) } : {}),
      }
    : rest;
  const steps: RunStepRow[] = [];
  let position = 0;
  for (const id in all) {
    const step = all[id] as StepState;
    if (!only || only.has(id)) {
      const stored =
        masking && step.gate?.message !== undefined
          ? { ...step, gate: { ...step.gate, message: masker.mask(step.gate.message) } }
          : step;
      steps.push({ step: id, position, state_json: JSON.stringify(stored) });
    }
    position++;
  }
  // `rev` last: decodeRunRev reads it from the text's end.
  return { header: JSON.stringify({ ...header, rev }), steps };
}

/** The whole state's JSON as stateRows masks it: for a copy kept outside the run (a report). */
export function maskedStateJson(state: RunState | null, masker: Masker | undefined): string {
  const { header, steps } = stateRows(state, masker);
  return JSON.stringify(decodeRunState({ state_json: header }, steps));
}

/** Writes the planner's state back, with the run's status and times derived from it. */
export async function saveState(
  db: Db,
  row: Selectable<RunsTable>,
  state: RunState,
  now: number,
  options: StateOptions = {},
): Promise<void> {
  const changes = stateChanges(row, state, now, options);
  await writeRunSteps(db, row.id, changes.steps);
  await updateRun(db, row.id, changes.run);
}

export interface StateOptions {
  started?: boolean;
  masker?: Masker;
  /** The steps that changed (a planner's `touched`): only their rows are written. All when absent. */
  steps?: ReadonlySet<string>;
}

/**
 * What saveState writes: the run's columns (the state's header, and the status and times derived from
 * it) and the rows of the steps that changed.
 */
export function stateChanges(
  row: Selectable<RunsTable>,
  state: RunState,
  now: number,
  options: StateOptions = {},
): { run: Updateable<RunsTable>; steps: RunStepRow[]; rev: number } {
  const finished = state.status !== "running";
  const stamped = stampGates(state, now);
  // A run written before run_steps keeps its steps in the header, which is written without them now.
  const only = options.steps && !legacyHeader(row) ? new Set([...options.steps, ...stamped]) : undefined;
  const rev = decodeRunRev(row) + 1;
  const { header, steps } = stateRows(state, options.masker, only, rev);
  const status = finished
    ? state.status
    : onlyWaiting(state)
      ? "waiting"
      : options.started || row.status === "running" || row.status === "waiting"
        ? "running"
        : row.status;
  const run: Updateable<RunsTable> = {
    state_json: header,
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
  return { run, steps, rev };
}

/** A header that holds steps: a run written before run_steps existed (its state was one document). */
function legacyHeader(row: Selectable<RunsTable>): boolean {
  for (const _ in decodeRunState(row)?.steps ?? {}) return true;
  return false;
}
