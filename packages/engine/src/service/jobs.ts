import type { Task, WorkflowSpec } from "@gantry/core";
import type { Insertable } from "kysely";
import type { JobsTable } from "../store/tables.js";

/** Queue rows for planner tasks: labels come from the step's runner (or the workflow's default). */
export function jobsFor(
  runId: string,
  workflow: WorkflowSpec,
  tasks: Task[],
  now: number,
): Insertable<JobsTable>[] {
  return tasks.map((task) => {
    const step = workflow.steps[task.step];
    const labels = step?.runner?.labels ?? workflow.defaults?.runner?.labels ?? [];
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
