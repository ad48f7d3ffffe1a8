import type { WorkflowSpec } from "../format/types.js";

/** What a run does when another run of its concurrency group is active (workflow `concurrency.policy`). */
export type ConcurrencyPolicy = NonNullable<NonNullable<WorkflowSpec["concurrency"]>["policy"]>;

/** A run's concurrency group once its `group` expression is evaluated. */
export interface ConcurrencyGroup {
  name: string;
  policy: ConcurrencyPolicy;
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
