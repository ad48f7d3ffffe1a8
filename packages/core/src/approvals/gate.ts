import { interpolationString } from "../expressions/data.js";
import type { EvaluationContext } from "../expressions/evaluate.js";
import { evaluateTemplate } from "../expressions/evaluate.js";
import type { StepSpec, WorkflowSpec } from "../format/types.js";
import type { RunInfo, RunState, StepState, Task, TaskOutcome } from "../planner/state.js";
import { includedBy } from "../triggers/filter-pattern.js";
import type { EnvironmentUse, GateDecision, GateState } from "./types.js";

export function environmentName(use: EnvironmentUse | undefined): string | undefined {
  if (use === undefined) return undefined;
  return typeof use === "string" ? use : use.name;
}

/** The branch a run was started from: `github.ref` (refs/heads/…), else the trigger's `branch`. */
export function runBranch(info: RunInfo): string | undefined {
  const ref = info.github?.ref ?? info.trigger.ref;
  if (typeof ref === "string" && ref.startsWith("refs/heads/")) return ref.slice("refs/heads/".length);
  const branch = info.trigger.branch;
  return typeof branch === "string" ? branch : undefined;
}

/** How a ready step starts: now, after a delay, behind a gate, or not at all (refused). */
export type GateChoice =
  | { kind: "start"; delayMs: number }
  | { kind: "gate"; gate: GateState }
  | { kind: "refuse"; error: string };

/**
 * The gate a ready step meets: an approval node always waits; a step with `environment:` waits when the
 * environment has approvers, is refused for branches the environment does not allow, and otherwise
 * starts after the environment's `wait`.
 */
export function gateFor(info: RunInfo, spec: StepSpec, ctx: EvaluationContext): GateChoice {
  if (spec.approval) {
    const message =
      spec.approval.message === undefined
        ? undefined
        : interpolationString(evaluateTemplate(spec.approval.message, ctx));
    return { kind: "gate", gate: { kind: "approval", ...(message !== undefined ? { message } : {}) } };
  }
  const name = environmentName(spec.environment);
  if (name === undefined) return { kind: "start", delayMs: 0 };
  const policy = info.environments?.[name];
  if (!policy) {
    const known = Object.keys(info.environments ?? {});
    return {
      kind: "refuse",
      error: `environment '${name}' is not defined in gantry.yaml (environments: ${known.length ? known.join(", ") : "none"})`,
    };
  }
  if (policy.branches) {
    const branch = runBranch(info);
    if (branch === undefined || !includedBy(policy.branches, branch)) {
      return {
        kind: "refuse",
        error: `environment '${name}' refuses runs from ${branch === undefined ? "no branch" : `branch '${branch}'`} (allowed: ${policy.branches.join(", ")})`,
      };
    }
  }
  const url =
    typeof spec.environment === "object" && spec.environment.url !== undefined
      ? interpolationString(evaluateTemplate(spec.environment.url, ctx))
      : undefined;
  const approvers = policy.approvers ?? {};
  const gated = [approvers.roles, approvers.users, approvers.groups].some((l) => (l?.length ?? 0) > 0);
  if (!gated) return { kind: "start", delayMs: policy.waitMs ?? 0 };
  return {
    kind: "gate",
    gate: { kind: "environment", environment: name, ...(url !== undefined ? { url } : {}) },
  };
}

export function isWaiting(step: StepState): boolean {
  return step.items.some((i) => i.status === "waiting");
}

/** The steps waiting for a decision. */
export function waitingGates(state: RunState): Array<{ step: string; gate: GateState }> {
  const out: Array<{ step: string; gate: GateState }> = [];
  for (const [step, s] of Object.entries(state.steps))
    if (s.gate && isWaiting(s)) out.push({ step, gate: s.gate });
  return out;
}

/** Stamps the time gates opened for decision; returns the steps stamped now (new requests). */
export function stampGates(state: RunState, now: number): string[] {
  const stamped: string[] = [];
  for (const { step, gate } of waitingGates(state)) {
    if (gate.since !== undefined) continue;
    gate.since = now;
    stamped.push(step);
  }
  return stamped;
}

/** A run that only waits for people: nothing queued or running, at least one gate open. */
export function onlyWaiting(state: RunState): boolean {
  if (state.status !== "running") return false;
  let waiting = false;
  for (const step of Object.values(state.steps)) {
    for (const item of step.items) {
      if (item.status === "queued" || item.status === "running") return false;
      if (item.status === "waiting") waiting = true;
    }
  }
  return waiting;
}

export interface GateResolution {
  decision: GateDecision;
  /** The approval form's values (approval nodes). */
  inputs?: Record<string, unknown>;
  /** The environment's wait, for an approved environment step. */
  delayMs?: number;
  /** When it was decided, ms since the epoch (the engine's clock). */
  now: number;
}

/**
 * Records a decision on a waiting gate and returns the tasks that became ready. An approved approval
 * node succeeds with the decision as its outputs; an approved environment step is queued (after the
 * environment's wait); a rejection fails the node, which no retry undoes.
 */
export function resolveGate(
  planner: { finish(state: RunState, task: Task, outcome: TaskOutcome): Task[] },
  state: RunState,
  stepId: string,
  resolution: GateResolution,
): Task[] {
  const step = state.steps[stepId];
  if (!step?.gate || !isWaiting(step)) return [];
  const { decision } = resolution;
  step.gate.decision = decision;
  const approve = decision.decision === "approve";
  if (step.gate.kind === "approval") {
    const outputs: Record<string, unknown> = { ...(resolution.inputs ?? {}), ...decision };
    const task = { step: stepId, index: 0, attempt: step.items[0]?.attempts ?? 1, delayMs: 0 };
    const finishedAt = resolution.now;
    return planner.finish(state, task, {
      status: approve ? "succeeded" : "failed",
      outputs,
      finishedAt,
      ...(approve ? {} : { error: rejectionText(decision), retryable: false }),
    });
  }
  if (approve) {
    const tasks: Task[] = [];
    step.items.forEach((item, index) => {
      if (item.status !== "waiting") return;
      item.status = "queued";
      // Attempt 0: a node beyond max_parallel, started as others finish (Planner.dispatchNodes).
      if (item.attempts > 0)
        tasks.push({ step: stepId, index, attempt: item.attempts, delayMs: resolution.delayMs ?? 0 });
    });
    return tasks;
  }
  const tasks: Task[] = [];
  step.items.forEach((item, index) => {
    if (item.status !== "waiting") return;
    tasks.push(
      ...planner.finish(
        state,
        { step: stepId, index, attempt: item.attempts, delayMs: 0 },
        { status: "failed", error: rejectionText(decision), retryable: false },
      ),
    );
  });
  return tasks;
}

function rejectionText(d: GateDecision): string {
  const who = d.timed_out ? "the approval timed out" : `rejected by ${d.by}`;
  return d.comment ? `${who}: ${d.comment}` : who;
}

/** Whether a workflow has a node that waits for people (an approval, or a step with an environment). */
export function hasGates(workflow: WorkflowSpec): boolean {
  return Object.values(workflow.steps).some((s) => s.approval !== undefined || s.environment !== undefined);
}
