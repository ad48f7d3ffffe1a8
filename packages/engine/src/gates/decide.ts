import {
  approverRefusal,
  coerceInputs,
  type Decider,
  type GateDecision,
  type InputSpec,
  isWaiting,
  Planner,
  resolveGate,
  stampGates,
} from "@gantry/core";
import { queueRunNotifications } from "../notify/events.js";
import { lockGroupOfRun, startNextInGroup } from "../service/concurrency-group.js";
import { ConflictError, InvalidInputError, NotFoundError, type ServiceContext } from "../service/context.js";
import { jobsFor } from "../service/jobs.js";
import { loadRunState, runInfo, saveState, secretMasker } from "../service/run-record.js";
import type { UnitOfWork } from "../service/unit-of-work.js";
import { enqueueJobs } from "../store/queries/enqueue-jobs.js";
import { lockRun } from "../store/queries/lock-run.js";

/** A person who may not decide this gate (the server answers 403). */
export class ForbiddenError extends Error {
  readonly statusCode = 403;
}

export interface GateDecisionRequest {
  runId: string;
  step: string;
  decision: "approve" | "reject";
  inputs?: Record<string, unknown>;
  comment?: string;
  /** Who decides; undefined when the timeout does (on_timeout). */
  person?: Decider;
}

export interface GateDecisionResult {
  run_id: string;
  step: string;
  decision: GateDecision;
  inputs: Record<string, unknown>;
  /** The run's state after the decision (running, waiting, failed…). */
  run_status: string;
}

/**
 * Decides a waiting approval node or environment gate, in the caller's unit of work, under the run's
 * row lock: checks the person against the approvers (and the run's starter), checks the form's values,
 * records the decision as the node's outputs and queues what became ready. The caller writes the audit
 * entry.
 */
export async function decideGate(
  ctx: ServiceContext,
  unit: UnitOfWork,
  request: GateDecisionRequest,
): Promise<GateDecisionResult> {
  const { db: tx, dialect } = unit;
  await lockGroupOfRun(unit, request.runId);
  const row = await lockRun(tx, dialect, request.runId);
  if (!row || row.state_json === "null") throw new NotFoundError(`unknown run '${request.runId}'`);
  const definition = await ctx.definitions.at(tx, row.revision);
  const info = runInfo(row, ctx.box);
  const state = await loadRunState(tx, row);
  const step = state.steps[request.step];
  const spec = definition.workflow.steps[request.step];
  if (!spec) throw new NotFoundError(`run ${row.id} has no step '${request.step}'`);
  if (!step?.gate || !isWaiting(step) || state.status !== "running") {
    throw new ConflictError(
      `step '${request.step}' of run ${row.id} is not waiting for a decision (step ${step?.status ?? "unknown"}, run ${row.status})`,
    );
  }
  const gate = step.gate;
  const policy = gate.kind === "environment" ? info.environments?.[gate.environment ?? ""] : undefined;
  const approvers = gate.kind === "approval" ? spec.approval?.approvers : policy?.approvers;
  const allowSelf = (gate.kind === "approval" ? spec.approval?.allow_self : policy?.allowSelf) ?? false;
  if (request.person) {
    const starter = typeof info.trigger.actor === "string" ? info.trigger.actor : undefined;
    const refusal = approverRefusal(approvers, allowSelf, request.person, starter);
    if (refusal) throw new ForbiddenError(refusal);
  }
  const approve = request.decision === "approve";
  // A timeout answers no form: required values are asked of people only.
  const inputs = formValues(
    spec.approval?.inputs,
    request.inputs ?? {},
    approve && request.person !== undefined,
  );
  const now = ctx.now();
  const decision: GateDecision = {
    decision: request.decision,
    by: request.person?.name ?? "timeout",
    by_id: request.person?.id ?? "timeout",
    at: new Date(now).toISOString(),
    comment: request.comment ?? "",
    ...(request.person ? {} : { timed_out: true }),
  };
  const planner = new Planner(definition.workflow, info);
  const delayMs =
    gate.kind === "environment" ? (info.environments?.[gate.environment ?? ""]?.waitMs ?? 0) : 0;
  const tasks = resolveGate(planner, state, request.step, { decision, inputs, delayMs, now });
  await enqueueJobs(tx, jobsFor(row.id, definition.workflow, tasks, now, definition.actions));
  await queueRunNotifications(ctx, tx, {
    row,
    workflow: definition.workflow,
    info,
    state,
    now,
    newGates: stampGates(state, now),
  });
  await saveState(tx, row, state, now, { masker: secretMasker(definition.workflow, info) });
  let notify = tasks.length > 0;
  if (state.status !== "running" && row.concurrency_group)
    notify = (await startNextInGroup(ctx, tx, row.concurrency_group)) || notify;
  if (notify) unit.notify("jobs");
  return { run_id: row.id, step: request.step, decision, inputs, run_status: state.status };
}

/** The approval form's values, coerced and checked; a rejection needs none of the required ones. */
function formValues(
  specs: Record<string, InputSpec> | undefined,
  raw: Record<string, unknown>,
  requireAll: boolean,
): Record<string, unknown> {
  const effective = requireAll
    ? specs
    : Object.fromEntries(Object.entries(specs ?? {}).map(([n, s]) => [n, { ...s, required: false }]));
  const { values, errors } = coerceInputs(effective, raw);
  if (errors.length > 0) throw new InvalidInputError(errors);
  return values;
}
