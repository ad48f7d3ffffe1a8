import { storeQueue } from "../queue/store-queue.js";
import type { ServiceContext } from "../service/context.js";
import { CLAIMS_CHANNEL } from "../store/queries/claim-jobs-with-runs.js";
import type { ClaimNotices } from "./claim-shares.js";
import { type StepHostOptions, StoreStepHost } from "./step-host.js";
import { Worker, type WorkerLoopOptions } from "./worker.js";

export interface WorkerOptions extends Omit<WorkerLoopOptions, "runner" | "now">, StepHostOptions {}

/** A worker that reaches the database: its queue is the store's, its steps log and fetch from the store. */
export function createWorker(ctx: ServiceContext, options: WorkerOptions): Worker {
  return new Worker(
    { queue: storeQueue(ctx), steps: new StoreStepHost(ctx, options), ...claimNotices(ctx) },
    { ...options, now: ctx.now },
  );
}

/**
 * The claims every worker's claim announces (Postgres: the claim statement's pg_notify), for workers
 * whose notifier listens on the database: they then share announced jobs instead of all claiming each.
 */
function claimNotices(ctx: ServiceContext): { claims?: ClaimNotices } {
  if (ctx.database.dialect !== "postgres" || ctx.notifier.databaseChannel?.("claims") !== CLAIMS_CHANNEL)
    return {};
  const { notifier } = ctx;
  return {
    claims: {
      subscribe: (handler) => notifier.subscribe("claims", handler),
      leave: (workerId) => notifier.notify("claims", `leave ${workerId}`),
    },
  };
}
