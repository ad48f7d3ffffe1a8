import { type PreparedTask, type RunInfo, timeoutWithinDeadline } from "@gantry/core";

/**
 * A task of a child run gets at most the time left before the run's deadline (its parent step's
 * timeout): the runner stops it then, as for its own `timeout`. Other tasks are returned as they are.
 */
export function withinCallDeadline<T extends Pick<PreparedTask, "timeoutMs">>(
  task: T,
  info: Pick<RunInfo, "trigger">,
  now: number,
): T {
  const timeoutMs = timeoutWithinDeadline(task.timeoutMs, info, now);
  return timeoutMs === undefined ? task : { ...task, timeoutMs };
}
