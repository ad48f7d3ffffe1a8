import { expiredJobs } from "../store/queries/expired-jobs.js";
import type { ServiceContext } from "./context.js";
import { finishTask } from "./tasks.js";
import { withUnitOfWork } from "./unit-of-work.js";

/**
 * Treats every job whose lease ran out as a try lost with its worker: the planner queues a new try
 * (`worker_lost.retries`, 2 by default) or fails the step saying so. A lease only runs out after its
 * worker stopped the step (a worker that cannot renew stops its steps a third of a lease before the
 * end) or died with it (its step launcher or helper kills the steps): the new try never overlaps the old one.
 * Safe to run on every server at once: a job already handled by another reaper is gone when this one
 * locks the run, and one its worker renewed meanwhile is fenced off.
 */
export async function reapExpiredJobs(ctx: ServiceContext): Promise<number> {
  const now = ctx.now();
  const expired = await expiredJobs(ctx.database.db, now);
  for (const job of expired) {
    await withUnitOfWork(ctx, (tx) =>
      finishTask(
        ctx,
        tx,
        job,
        {
          status: "failed",
          exitCode: null,
          error: `worker lost: ${job.worker_id ?? "unknown"} stopped renewing its lease`,
          workerLost: true,
        },
        job.worker_id,
        { expiredBefore: now },
      ),
    );
  }
  return expired.length;
}
