import { parseDuration } from "../format/duration.js";
import type { StepSpec, WorkflowSpec } from "../format/types.js";
import type { RunInfo } from "./state.js";

/**
 * The time by which a sub-workflow run must end, and why: a child gets at most what is left of its
 * parent node's `timeout` (or the parent's `defaults.timeout`) and of the parent run's own deadline
 * (a parent that is itself a child). Kept in the child's trigger as `deadline` and `deadline_reason`.
 */
export interface CallDeadline {
  at: number;
  reason: string;
}

/** The deadline a run inherited from its parent, if it is a child run that has one. */
export function runDeadline(info: Pick<RunInfo, "trigger">): CallDeadline | undefined {
  const { deadline, deadline_reason } = info.trigger as { deadline?: unknown; deadline_reason?: unknown };
  if (typeof deadline !== "number") return undefined;
  return {
    at: deadline,
    reason: typeof deadline_reason === "string" ? deadline_reason : "its parent's timeout",
  };
}

/**
 * The deadline of a child started by `step` of the parent run `info`, whose node started at `startedAt`:
 * the earlier of the node's timeout and the parent run's own deadline; undefined when neither is set.
 */
export function childDeadline(
  workflow: WorkflowSpec,
  step: string,
  spec: StepSpec | undefined,
  info: Pick<RunInfo, "id" | "trigger">,
  startedAt: number,
): CallDeadline | undefined {
  const timeout = spec?.timeout ?? workflow.defaults?.timeout;
  const own =
    timeout !== undefined
      ? {
          at: startedAt + parseDuration(timeout),
          reason: `step '${step}' of run ${info.id} has timeout ${typeof timeout === "number" ? `${timeout}s` : timeout}`,
        }
      : undefined;
  const inherited = runDeadline(info);
  if (!own) return inherited;
  if (!inherited) return own;
  return inherited.at < own.at ? inherited : own;
}

/**
 * A step of a child run gets at most the time left before its run's deadline: its own timeout, if
 * shorter, stands. Undefined timeout and no deadline: no limit.
 */
export function timeoutWithinDeadline(
  timeoutMs: number | undefined,
  info: Pick<RunInfo, "trigger">,
  now: number,
): number | undefined {
  const deadline = runDeadline(info);
  if (!deadline) return timeoutMs;
  const left = Math.max(0, deadline.at - now);
  return timeoutMs === undefined ? left : Math.min(timeoutMs, left);
}
