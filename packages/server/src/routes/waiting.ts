import { store } from "@gantry/engine";
import type { ServerContext } from "../context.js";

/** Workers heartbeat every third of their lease (30 s by default): two leases of silence means gone. */
const LIVE_WITHIN_MS = 60_000;

export interface StepWaiting {
  /** "waiting for a worker with runner:docker, gpu" */
  waiting_for: string;
  /** Set when no live worker has every one of those labels, so nothing will take the step as things are. */
  warning?: string;
}

/** What a label asks of a worker, as a flag of `gantry worker`. */
function flagsFor(labels: string[]): string {
  const runners = labels.filter((l) => l.startsWith("runner:")).map((l) => l.slice("runner:".length));
  const others = labels.filter((l) => !l.startsWith("runner:"));
  return [
    runners.length > 0 ? `--runners ${runners.join(",")}` : "",
    others.length > 0 ? `--labels ${others.join(",")}` : "",
  ]
    .filter(Boolean)
    .join(" ");
}

/**
 * The steps of an unfinished run that wait in the queue for a worker, by step id: the labels they need and,
 * when no live worker has them all, a warning that says how to start one. Jobs waiting out a retry delay
 * are not waiting for a worker and are left out.
 */
export async function waitingSteps(ctx: ServerContext, runId: string): Promise<Record<string, StepWaiting>> {
  const now = ctx.service.now();
  const jobs = (await store.runJobs(ctx.service.database.db, runId)).filter(
    (job) => job.status === "queued" && job.available_at <= now,
  );
  if (jobs.length === 0) return {};
  const workers = await store.listWorkers(ctx.service.database.db, now - LIVE_WITHIN_MS);
  const offered = workers.map((w) => new Set(store.decodeLabels(w)));
  const waiting: Record<string, StepWaiting> = {};
  for (const job of jobs) {
    if (waiting[job.step]) continue;
    const labels = store.decodeLabels(job).slice().sort();
    const taken = offered.some((has) => labels.every((label) => has.has(label)));
    waiting[job.step] = {
      waiting_for: `waiting for a worker with ${labels.join(", ") || "no labels"}`,
      ...(taken
        ? {}
        : {
            warning:
              `no live worker has ${labels.join(", ")}: start one that does ` +
              `(gantry worker ${flagsFor(labels)}, or gantry up ${flagsFor(labels)}), or cancel the run`,
          }),
    };
  }
  return waiting;
}
