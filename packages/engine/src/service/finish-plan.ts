import { type Masker, Planner, type RunInfo, type RunState, type Task, type TaskOutcome } from "@gantry/core";
import type { Insertable, Selectable } from "kysely";
import { addRunMasks, sealRunMasks } from "../secrets/run-masks.js";
import { decodeLabels } from "../store/decode/index.js";
import type { JobsTable, RunsTable, StepAttemptsTable } from "../store/tables.js";
import type { ServiceContext } from "./context.js";
import { jobsFor, startedAttemptRow } from "./jobs.js";
import { secretMasker, stateChanges } from "./run-record.js";
import type { WorkflowDefinition } from "./workflow-definition.js";

/** What names a job (tasks.ts's JobKey, which re-exports it). */
export type JobKey = Pick<Selectable<JobsTable>, "id" | "run_id" | "step" | "item_index" | "attempt">;

/**
 * A step's finish as the planner decides it, with no I/O: shared by finishTask (under the run's lock)
 * and finishUnchanged (one guarded statement). Two halves, as finishTask queues the run's
 * notifications between them (they read the state the finish left, before a successor is taken).
 */
export interface FinishInput {
  run: Selectable<RunsTable>;
  definition: WorkflowDefinition;
  info: RunInfo;
  planner: Planner;
  state: RunState;
  job: JobKey;
  outcome: TaskOutcome;
  workerId: string | null;
  secrets?: string[];
  masks?: string[];
  take?: { workerId: string; labels: string[] };
  now: number;
}

/** The finish's input for a run's row, state and workflow revision, planned at `ctx.now()`. */
export function finishInput(
  ctx: Pick<ServiceContext, "definitions" | "now">,
  of: Pick<FinishInput, "run" | "definition" | "info" | "state" | "job" | "outcome" | "workerId">,
  options: Pick<FinishInput, "secrets" | "masks" | "take">,
): FinishInput {
  const { definition, info } = of;
  return {
    ...of,
    planner: new Planner(definition.workflow, info, ctx.definitions.graph(definition)),
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(options.masks ? { masks: options.masks } : {}),
    ...(options.take ? { take: options.take } : {}),
    now: ctx.now(),
  };
}

export interface FinishedInState {
  masker: Masker;
  /** The run's sealed masks with the step's new ones; undefined when nothing is new. */
  maskedValues: string | undefined;
  safe: TaskOutcome;
  /** The tasks that became ready. */
  next: Task[];
}

/** The outcome masked and recorded in the state: the planner's finish. */
export function finishInState(ctx: Pick<ServiceContext, "box">, input: FinishInput): FinishedInState {
  const { run, outcome, job } = input;
  // Outputs that carry a secret are masked before they are stored, as GitHub Actions redacts them.
  const masker = secretMasker(input.definition.workflow, input.info);
  for (const secret of input.secrets ?? []) masker.add(secret);
  addRunMasks(masker, run.masked_values, ctx.box);
  for (const value of input.masks ?? []) masker.add(value);
  const maskedValues = sealRunMasks(run.masked_values, input.masks ?? [], ctx.box);
  const safe: TaskOutcome = {
    ...outcome,
    outputs: Object.fromEntries(
      Object.entries(outcome.outputs ?? {}).map(([k, v]) => [k, typeof v === "string" ? masker.mask(v) : v]),
    ),
    ...(outcome.error ? { error: masker.mask(outcome.error) } : {}),
  };
  const next = input.planner.finish(input.state, taskOf(job), safe);
  return { masker, maskedValues, safe, next };
}

export interface FinishWrites {
  changes: ReturnType<typeof stateChanges>;
  attempts: Insertable<StepAttemptsTable>[];
  /** Jobs queued for any worker. */
  enqueue: Insertable<JobsTable>[];
  /** The successor the finishing worker takes, started in the state already. */
  take?: { job: Insertable<JobsTable>; task: Task };
  /** The jobs wake-up's payload when jobs are queued: when the soonest becomes due, or empty. */
  wake?: string;
}

/** What the finish writes: the attempt's end, the jobs that became ready, the taken successor's start. */
export function finishWrites(input: FinishInput, finished: FinishedInState): FinishWrites {
  const { run, job, now, take, state } = input;
  const { definition } = input;
  const attempts: Insertable<StepAttemptsTable>[] = [
    {
      run_id: run.id,
      step: job.step,
      item_index: job.item_index,
      attempt: job.attempt,
      status: input.outcome.status,
      exit_code: input.outcome.exitCode ?? null,
      worker_id: input.workerId,
      error: finished.safe.error ?? null,
      started_at: input.outcome.startedAt ?? null,
      finished_at: input.outcome.finishedAt ?? now,
    },
  ];
  const { next } = finished;
  const rows = jobsFor(run.id, definition.workflow, next, now, definition.actions);
  const mine = take
    ? rows.findIndex(
        (row, i) => next[i]?.delayMs === 0 && decodeLabels(row).every((label) => take.labels.includes(label)),
      )
    : -1;
  const task = next[mine];
  const mineRow = take && task && input.planner.claim(state, task, now) ? rows.splice(mine, 1)[0] : undefined;
  if (take && mineRow) attempts.push(startedAttemptRow(mineRow, take.workerId, now));
  const changes = stateChanges(run, state, now, {
    masker: finished.masker,
    steps: input.planner.touched,
    ...(mineRow ? { started: true } : {}),
  });
  if (finished.maskedValues) changes.run.masked_values = finished.maskedValues;
  // A retry waiting out its delay: the notification says when it becomes due, so idle workers wake
  // then without asking the queue after every notification (see Worker.claimLoop).
  const due = rows.map((row) => Number(row.available_at)).filter((at) => at > now);
  return {
    changes,
    attempts,
    enqueue: rows,
    ...(mineRow && task ? { take: { job: mineRow, task } } : {}),
    ...(rows.length > 0 ? { wake: due.length > 0 ? String(Math.min(...due)) : "" } : {}),
  };
}

/** The writes as writeStep and writeIfUnchanged take them, a successor taken leased as `take` says. */
export function asStepWrites(
  writes: FinishWrites,
  take: { workerId: string; leaseUntil: number } | undefined,
) {
  return {
    run: writes.changes.run,
    steps: writes.changes.steps,
    attempts: writes.attempts,
    enqueue: writes.enqueue,
    ...(take && writes.take
      ? { take: { job: writes.take.job, workerId: take.workerId, leaseUntil: take.leaseUntil } }
      : {}),
  };
}

/** The task a job is one attempt of, due now (a start or a finish names it so to the planner). */
export const taskOf = (job: JobKey): Task => ({
  step: job.step,
  index: job.item_index,
  attempt: job.attempt,
  delayMs: 0,
});
