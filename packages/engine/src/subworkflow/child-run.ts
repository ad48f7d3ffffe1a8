import {
  childDeadline,
  evaluateTemplate,
  isSubWorkflowUses,
  stepContext,
  subWorkflowName,
  type TaskOutcome,
} from "@gantry/core";
import type { Selectable } from "kysely";
import { checkOptionInputs } from "../options/start-check.js";
import { InvalidInputError, NotFoundError, type ServiceContext } from "../service/context.js";
import { startRun } from "../service/create-run.js";
import { ACTIVE_RUN_STATUSES } from "../service/run-record.js";
import { type ClaimedTask, finishTask, type Job } from "../service/tasks.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import type { WorkflowDefinition } from "../service/workflow-definition.js";
import { decodeRunOutputs, decodeRunState, decodeRunTrigger } from "../store/decode/index.js";
import { getRun } from "../store/queries/get-run.js";
import type { RunsTable } from "../store/tables.js";
import { MAX_SUB_WORKFLOW_DEPTH } from "./limits.js";

export { MAX_SUB_WORKFLOW_DEPTH } from "./limits.js";

/** The trigger of a child run: who called it, and what it inherited. */
export interface WorkflowCallTrigger {
  type: "workflow_call";
  parent_run: string;
  parent_workflow: string;
  parent_step: string;
  parent_index: number;
  parent_attempt: number;
  /** 1 for a child of a top-level run. */
  depth: number;
  /** Secret references the child may use besides its own (names it sees -> references). */
  secret_refs?: Record<string, string>;
  /** When the child must have ended (ms since the epoch), from its parent's timeouts (see childDeadline). */
  deadline?: number;
  /** Which timeout set `deadline`, for the message of a child stopped by it. */
  deadline_reason?: string;
  /** Started by a clean-up step of a parent already cancelling: the parent's cancel does not stop it. */
  cleanup?: boolean;
  [key: string]: unknown;
}

export function isSubWorkflowTask(claimed: Pick<ClaimedTask, "definition" | "task">): boolean {
  return isSubWorkflowUses(claimed.definition.workflow.steps[claimed.task.step]?.uses);
}

/**
 * Starts the child run of a sub-workflow step and parks the parent's job as `waiting`: no worker holds
 * it (and no lease runs out) until the child ends, when completeParent finishes it with the child's
 * outcome. A child that cannot start (unknown workflow, inputs it refuses, too deep) fails the step.
 */
export async function startChildRun(
  ctx: ServiceContext,
  claimed: Pick<ClaimedTask, "job" | "task" | "definition" | "info" | "state">,
  workerId: string,
): Promise<void> {
  const { definition, info, state, task, job } = claimed;
  const spec = definition.workflow.steps[task.step];
  // A library workflow was loaded and stored with this revision (definition.calls); runs at that revision.
  const call = definition.calls?.[task.step];
  const name = call?.name ?? (subWorkflowName(spec?.uses) as string);
  const fail = (error: string) =>
    withUnitOfWork(ctx, (tx) =>
      finishTask(
        ctx,
        tx,
        job,
        { status: "failed", exitCode: null, error, retryable: false, finishedAt: ctx.now() },
        workerId,
      ),
    );
  const depth = Number((info.trigger as Partial<WorkflowCallTrigger>).depth ?? 0) + 1;
  if (depth > MAX_SUB_WORKFLOW_DEPTH) {
    await fail(
      `sub-workflow '${name}' not started: runs nest at most ${MAX_SUB_WORKFLOW_DEPTH} deep (this would be ${depth}); a workflow that calls itself, directly or through others, never ends`,
    );
    return;
  }
  let child: { id: string };
  try {
    const item = state.steps[task.step]?.items[task.index]?.item;
    const ctxt = stepContext(definition.workflow, info, state, spec, item !== undefined ? { item } : {});
    const inputs = (evaluateTemplate(spec?.with ?? {}, ctxt) ?? {}) as Record<string, unknown>;
    const secretRefs = inheritedSecrets(
      definition,
      spec?.secrets,
      info.trigger as Partial<WorkflowCallTrigger>,
    );
    const trigger: WorkflowCallTrigger = {
      type: "workflow_call",
      parent_run: job.run_id,
      parent_workflow: info.workflow,
      parent_step: task.step,
      parent_index: task.index,
      parent_attempt: task.attempt,
      depth,
      ...(state.cancelRequested ? { cleanup: true } : {}),
      ...(Object.keys(secretRefs).length > 0 ? { secret_refs: secretRefs } : {}),
    };
    const startedAt = state.steps[task.step]?.items[task.index]?.startedAt ?? ctx.now();
    const deadline = childDeadline(definition.workflow, task.step, spec, info, startedAt);
    if (deadline) {
      trigger.deadline = deadline.at;
      trigger.deadline_reason = deadline.reason;
    }
    // A value for an `options_from` input of the child is checked against its current options.
    if (!call) await checkOptionInputs(ctx, name, inputs);
    child = await startRun(ctx, {
      workflow: name,
      inputs,
      trigger,
      parentRunId: job.run_id,
      ...(call ? { revision: call.revision, unregistered: true } : {}),
    });
  } catch (error) {
    const why =
      error instanceof InvalidInputError || error instanceof NotFoundError
        ? error.message
        : (error as Error).message;
    await fail(`sub-workflow '${name}': ${why}`);
    return;
  }
  // Parked: claimable by no worker, reaped by no reaper. A child that already ended finished it meanwhile.
  await ctx.database.db
    .updateTable("jobs")
    .set({ status: "waiting", worker_id: null, lease_until: null })
    .where("id", "=", job.id)
    .execute();
  await completeParent(ctx, child.id);
}

/**
 * When a child run has ended, finishes its parent's waiting step with the child's outcome: its outputs
 * become the step's outputs, its failure, cancel or timeout the step's. Safe to call more than once.
 */
export async function completeParent(ctx: ServiceContext, childId: string): Promise<void> {
  const child = await getRun(ctx.database.db, childId);
  if (!child || !hasEnded(child.status)) return;
  const trigger = decodeRunTrigger(child) as Partial<WorkflowCallTrigger>;
  if (trigger.type !== "workflow_call" || !trigger.parent_run) return;
  const job = await parentJob(ctx, trigger);
  if (!job) return;
  await withUnitOfWork(ctx, (tx) => finishTask(ctx, tx, job, childOutcome(child), null));
  // The parent may have ended with this step, and be a child itself: the end travels up.
  await completeParent(ctx, trigger.parent_run);
}

/** A run that will change no more: not pending in a group, queued, running or waiting for a person. */
export function hasEnded(status: string): boolean {
  return !["pending", ...ACTIVE_RUN_STATUSES].includes(status);
}

/** The waiting job of the parent step that started a child run (gone once that step has ended). */
export async function parentJob(
  ctx: ServiceContext,
  trigger: Partial<WorkflowCallTrigger>,
): Promise<Job | undefined> {
  if (!trigger.parent_run) return undefined;
  return ctx.database.db
    .selectFrom("jobs")
    .selectAll()
    .where("run_id", "=", trigger.parent_run)
    .where("step", "=", trigger.parent_step as string)
    .where("item_index", "=", trigger.parent_index as number)
    .where("attempt", "=", trigger.parent_attempt as number)
    .executeTakeFirst();
}

function childOutcome(child: Selectable<RunsTable>): TaskOutcome {
  const state = decodeRunState(child);
  const outputs = decodeRunOutputs(child) ?? {};
  const status =
    child.status === "succeeded"
      ? "succeeded"
      : child.status === "cancelled"
        ? "cancelled"
        : child.status === "timed_out"
          ? "timed_out"
          : "failed";
  const [failedStep, failed] =
    Object.entries(state?.steps ?? {}).find(([, s]) => s.result === "failure") ?? [];
  // Why it failed: the run's own error (a cancel's reason, its outputs), else its failed step's.
  const why = child.error ?? failed?.error ?? failed?.items.find((i) => i.error !== undefined)?.error;
  return {
    status,
    exitCode: null,
    outputs,
    ...(status === "succeeded"
      ? {}
      : {
          error: `sub-workflow run ${child.id} ${child.status}${failedStep ? ` (step ${failedStep})` : ""}${why ? `: ${why}` : ""}`,
        }),
    retryable: false,
    ...(child.started_at ? { startedAt: child.started_at } : {}),
    finishedAt: child.finished_at ?? Date.now(),
  };
}

/**
 * The secret references a child gets: none unless the step lists them; `inherit` passes all of the
 * parent's (its own and those it inherited), a map passes the named ones under the child's names.
 */
function inheritedSecrets(
  definition: WorkflowDefinition,
  listed: "inherit" | Record<string, string> | undefined,
  parentTrigger: Partial<WorkflowCallTrigger>,
): Record<string, string> {
  const available = { ...(parentTrigger.secret_refs ?? {}), ...(definition.workflow.secrets ?? {}) };
  if (listed === undefined) return {};
  if (listed === "inherit") return available;
  const out: Record<string, string> = {};
  for (const [childName, parentName] of Object.entries(listed)) {
    const name =
      /^\$\{\{\s*secrets\.([A-Za-z_][\w-]*)\s*\}\}$/.exec(parentName.trim())?.[1] ?? parentName.trim();
    const ref = available[name];
    if (ref === undefined) throw new Error(`secrets.${childName}: this workflow has no secret '${name}'`);
    out[childName] = ref;
  }
  return out;
}

/** Cancels the active child runs of a run (its cancel travels down). */
export async function activeChildren(ctx: ServiceContext, runId: string): Promise<string[]> {
  const rows = await ctx.database.db
    .selectFrom("runs")
    .select(["id", "trigger_json"])
    .where("parent_run_id", "=", runId)
    .where("status", "in", ["pending", ...ACTIVE_RUN_STATUSES])
    .execute();
  return rows.filter((r) => decodeRunTrigger(r).type === "workflow_call").map((r) => r.id);
}
