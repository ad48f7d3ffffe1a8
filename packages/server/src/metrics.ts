import { type ServiceContext, store } from "@gantry/engine";
import { collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface Metrics {
  registry: Registry;
  stepDuration: Histogram;
  claimLatency: Histogram;
}

export interface MetricsOptions {
  /**
   * Run counts and queue depth, read from the store at scrape time: every server reports the same
   * cluster-wide truth (query them with max()). Off for a worker, whose scrape must not cost a query.
   */
  store?: boolean;
  /** Node.js process series (process_*, nodejs_*): CPU, memory, event-loop lag, restarts. */
  process?: boolean;
}

/**
 * `gantry_`-prefixed Prometheus series. Step durations and claim latency are observed by the workers of
 * this process; see MetricsOptions for the rest.
 */
export function createMetrics(service: ServiceContext, options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.process) collectDefaultMetrics({ register: registry });
  if (options.store !== false) addStoreGauges(registry, service);
  const stepDuration = new Histogram({
    name: "gantry_step_duration_seconds",
    help: "How long step attempts ran, by final status",
    labelNames: ["status"],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [registry],
  });
  const claimLatency = new Histogram({
    name: "gantry_claim_latency_seconds",
    help: "From a step becoming ready to a worker claiming it",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
    registers: [registry],
  });
  return { registry, stepDuration, claimLatency };
}

/** A worker's own series: its busy and total step slots, read from it at scrape time. */
export function addWorkerGauges(
  registry: Registry,
  worker: () => { running: number; slots: number; draining: boolean },
): void {
  new Gauge({
    name: "gantry_worker_steps_running",
    help: "Steps this worker is running now",
    registers: [registry],
    collect() {
      this.set(worker().running);
    },
  });
  new Gauge({
    name: "gantry_worker_slots",
    help: "Steps this worker may run at once (its concurrency)",
    registers: [registry],
    collect() {
      this.set(worker().slots);
    },
  });
  new Gauge({
    name: "gantry_worker_draining",
    help: "1 while this worker is stopping: it claims nothing and lets its running steps finish",
    registers: [registry],
    collect() {
      this.set(worker().draining ? 1 : 0);
    },
  });
}

function addStoreGauges(registry: Registry, service: ServiceContext): void {
  new Gauge({
    name: "gantry_runs",
    help: "Runs in the store, by status",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [status, n] of Object.entries(await store.runCountsByStatus(service.database.db)))
        this.set({ status }, n);
    },
  });
  new Gauge({
    name: "gantry_queue_depth",
    help: "Steps queued and waiting for a worker",
    registers: [registry],
    async collect() {
      this.set(await store.queueDepth(service.database.db));
    },
  });
}
