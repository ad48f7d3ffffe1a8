import { openRunMasks } from "../secrets/run-masks.js";
import type { ServiceContext } from "../service/context.js";
import type { ClaimedTask, JobKey } from "../service/tasks.js";
import type { JobLease, StartedTask } from "../worker/worker-queue.js";

/** A started task as plain data: the run's row is reduced to what a worker uses of it. */
export function startedTask(
  ctx: Pick<ServiceContext, "box">,
  claimed: Omit<ClaimedTask, "run"> & {
    run: Pick<ClaimedTask["run"], "id" | "workflow" | "concurrency_group" | "masked_values">;
  },
  job: JobKey & Pick<JobLease, "available_at" | "lease_until">,
): StartedTask {
  const { run, task, definition, info, state } = claimed;
  return {
    job: {
      id: job.id,
      run_id: job.run_id,
      step: job.step,
      item_index: job.item_index,
      attempt: job.attempt,
      available_at: job.available_at,
      lease_until: job.lease_until,
    },
    task,
    run: {
      id: run.id,
      workflow: run.workflow,
      concurrency_group: run.concurrency_group,
      child: info.trigger.type === "workflow_call",
      masks: openRunMasks(run.masked_values, ctx.box),
    },
    definition,
    info,
    state,
  };
}
