import type { QueueListener, SlotOffer } from "../worker/worker-queue.js";

type Offering = Required<Pick<QueueListener, "offer">>;

/**
 * The workers running in this process (the one of `gantry up`, or a `gantry worker` itself): a run
 * created here hands its first ready task to one with a free slot, leased and started in the run's own
 * write, instead of queueing it for a claim (one wake-up, one claim and one start transaction fewer
 * between a trigger and its first step).
 */
export class LocalWorkers {
  private readonly workers = new Set<Offering>();

  /** Adds a worker; returns its removal (a stopping worker offers nothing anyway). */
  add(worker: Offering): () => void {
    this.workers.add(worker);
    return () => {
      this.workers.delete(worker);
    };
  }

  /** A slot reserved on the first worker that has one free and the labels `fits` asks for. */
  offer(fits: (labels: string[]) => boolean): SlotOffer | undefined {
    for (const worker of this.workers) {
      const offer = worker.offer(fits);
      if (offer) return offer;
    }
    return undefined;
  }
}
