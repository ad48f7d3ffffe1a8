import { Ancestors, type Masker } from "@gantry/core";
import type { TaskExecution } from "../run/execute-task.js";
import type { RunnerLike } from "../runners/types.js";
import type { StartedTask } from "./worker-queue.js";

/** What executeTask needs of a started task, the same on a store worker and an agent. */
export function startedExecution(
  started: StartedTask,
  runner: RunnerLike,
  signal: AbortSignal,
  masker: Masker,
): Pick<
  TaskExecution,
  "workflow" | "info" | "state" | "task" | "ancestors" | "runId" | "runner" | "signal" | "masker"
> {
  const { definition, info, state, task, job } = started;
  return {
    workflow: definition.workflow,
    info,
    state,
    task,
    // Walked when the step's expressions ask for the status functions, not made for every step up front.
    ancestors: new Ancestors(definition.workflow.steps, task.step),
    runId: job.run_id,
    runner,
    signal,
    masker,
  };
}
