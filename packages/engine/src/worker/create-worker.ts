import { storeQueue } from "../queue/store-queue.js";
import type { ServiceContext } from "../service/context.js";
import { type StepHostOptions, StoreStepHost } from "./step-host.js";
import { Worker, type WorkerLoopOptions } from "./worker.js";

export interface WorkerOptions extends Omit<WorkerLoopOptions, "runner" | "now">, StepHostOptions {}

/** A worker that reaches the database: its queue is the store's, its steps log and fetch from the store. */
export function createWorker(ctx: ServiceContext, options: WorkerOptions): Worker {
  return new Worker(
    { queue: storeQueue(ctx), steps: new StoreStepHost(ctx, options) },
    { ...options, now: ctx.now },
  );
}
