import { type ActionSpec, jobLabels, runnerSpecFor, type Task, type WorkflowSpec } from "@gantry/core";
import type { Insertable } from "kysely";
import type { JobsTable, StepAttemptsTable } from "../store/tables.js";

/**
 * Queue rows for planner tasks: labels come from the step's runner (merged with the action's and the
 * workflow's default), plus `runner:<type>` so only a worker offering that runner type claims the job.
 */
export function jobsFor(
  runId: string,
  workflow: WorkflowSpec,
  tasks: Task[],
  now: number,
  actions: Record<string, { spec: ActionSpec }> = {},
): Insertable<JobsTable>[] {
  return tasks.map((task) => {
    const labels = jobLabels(runnerSpecFor(workflow, task.step, actions[task.step]?.spec));
    return {
      run_id: runId,
      step: task.step,
      item_index: task.index,
      attempt: task.attempt,
      status: "queued",
      priority: 0,
      available_at: now + task.delayMs,
      labels_json: JSON.stringify(labels),
      worker_id: null,
      lease_until: null,
      created_at: now,
    };
  });
}

/** The history row of an attempt that starts now (claimed, or handed to a worker as its run is written). */
export function startedAttemptRow(
  job: Pick<Insertable<JobsTable>, "run_id" | "step" | "item_index" | "attempt">,
  workerId: string,
  now: number,
): Insertable<StepAttemptsTable> {
  return {
    run_id: job.run_id,
    step: job.step,
    item_index: job.item_index,
    attempt: job.attempt,
    status: "running",
    exit_code: null,
    worker_id: workerId,
    error: null,
    started_at: now,
    finished_at: null,
  };
}
