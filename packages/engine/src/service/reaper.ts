import { expiredJobs } from "../store/queries/expired-jobs.js";
import type { ServiceContext } from "./context.js";
import { finishTask } from "./tasks.js";

/**
 * Treats every job whose lease ran out as a failed attempt ("worker lost"): the planner retries it when
 * attempts remain, or fails the step. Safe to run on every server at once: a job already handled by
 * another reaper is gone when this one locks the run, and finishTask ignores a stale attempt.
 */
export async function reapExpiredJobs(ctx: ServiceContext): Promise<number> {
  const expired = await expiredJobs(ctx.database.db, ctx.now());
  for (const job of expired) {
    await finishTask(
      ctx,
      job,
      {
        status: "failed",
        exitCode: null,
        error: `worker lost: ${job.worker_id ?? "unknown"} stopped renewing its lease`,
      },
      job.worker_id,
    );
  }
  return expired.length;
}
