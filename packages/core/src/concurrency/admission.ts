import { interpolationString } from "../expressions/data.js";
import { evaluateTemplate } from "../expressions/evaluate.js";
import type { WorkflowSpec } from "../format/types.js";
import type { RunInfo } from "../planner/state.js";

/** What a run does when another run of its concurrency group is active (workflow `concurrency.policy`). */
export type ConcurrencyPolicy = NonNullable<NonNullable<WorkflowSpec["concurrency"]>["policy"]>;

/** A run's concurrency group once its `group` expression is evaluated. */
export interface ConcurrencyGroup {
  name: string;
  policy: ConcurrencyPolicy;
}

/**
 * A run's group, its `group` expression evaluated with the run's inputs, trigger and `github` context;
 * undefined for a workflow without `concurrency:`. Groups are global, as in GitHub Actions: a deploy and
 * a rollback workflow can share one.
 */
export function concurrencyGroupOf(workflow: WorkflowSpec, info: RunInfo): ConcurrencyGroup | undefined {
  const spec = workflow.concurrency;
  if (!spec) return undefined;
  const run = { id: info.id, workflow: info.workflow, attempt: info.attempt };
  const contexts = { inputs: info.inputs, run, trigger: info.trigger, github: info.github ?? {} };
  const name = interpolationString(evaluateTemplate(spec.group, { contexts }));
  return { name, policy: spec.policy ?? "queue" };
}

/**
 * Whether a new run of a group starts now, given the group's runs that are active:
 * - `start`: it starts; the runs in `cancel` are cancelled first (policy cancel-running);
 * - `wait`: it is written as pending, and starts when the group has no active run left (policy queue);
 * - `skip`: it is written as skipped, with `reason` as its error (policy skip).
 */
export type Admission =
  | { decision: "start"; cancel: string[] }
  | { decision: "wait" }
  | { decision: "skip"; reason: string };

/** The admission of a new run into its group: a pure function of the policy and the active runs. */
export function admitToGroup(group: ConcurrencyGroup, activeRunIds: readonly string[]): Admission {
  if (activeRunIds.length === 0) return { decision: "start", cancel: [] };
  switch (group.policy) {
    case "cancel-running":
      return { decision: "start", cancel: [...activeRunIds] };
    case "skip":
      return { decision: "skip", reason: `skipped: a run of concurrency group '${group.name}' is active` };
    case "queue":
      return { decision: "wait" };
  }
}
