import { type ServiceContext, store } from "@gantry/engine";
import { Gauge, Histogram, Registry } from "prom-client";

export interface Metrics {
  registry: Registry;
  stepDuration: Histogram;
  claimLatency: Histogram;
}

/**
 * `gantry_`-prefixed Prometheus series. Run counts and queue depth are read from the store at scrape
 * time (so every server reports the same truth); step durations and claim latency are observed by the
 * workers of this process.
 */
export function createMetrics(service: ServiceContext): Metrics {
  const registry = new Registry();
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
