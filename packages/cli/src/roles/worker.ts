import path from "node:path";
import { LocalRunner, LogArchiver, type ServiceContext, Worker } from "@gantry/engine";
import type { Config } from "./config.js";
import { logArchiveFor } from "./services.js";

/** A worker running steps on this machine with the local runner. */
export async function startWorkerRole(
  service: ServiceContext,
  config: Config,
  log: (line: string) => void,
  observe?: {
    stepDuration?: (seconds: number, status: string) => void;
    claimLatency?: (seconds: number) => void;
  },
): Promise<Worker> {
  const archiver = new LogArchiver(
    service,
    logArchiveFor(config),
    path.join(config.data, "spool", "logs"),
    (error) => log(`logs: ${error.message}`),
  );
  // Logs a previous run of this worker could not upload are sent now.
  await archiver.flushSpool().catch((error: Error) => log(`logs: spool not uploaded yet: ${error.message}`));
  const worker = new Worker(service, {
    logs: { archiver },
    labels: config.worker.labels,
    concurrency: config.worker.concurrency,
    leaseMs: config.worker.leaseMs,
    pollMs: config.worker.pollMs,
    graceMs: config.worker.graceMs,
    cacheDir: path.join(config.data, "cache", "actions"),
    runner: new LocalRunner(),
    onError: (error) => log(`worker: ${error.message}`),
    ...(observe?.stepDuration ? { onFinished: observe.stepDuration } : {}),
    ...(observe?.claimLatency ? { onClaimed: observe.claimLatency } : {}),
  });
  await worker.start();
  log(
    `worker ${worker.id} started (concurrency ${config.worker.concurrency}${config.worker.labels.length ? `, labels ${config.worker.labels.join(",")}` : ""})`,
  );
  return worker;
}

/** Stops on SIGINT or SIGTERM: first gracefully, a second signal at once. */
export function onShutdown(stop: () => Promise<void>, log: (line: string) => void): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    log(`${signal}: stopping (running steps get their grace period; send it again to quit now)`);
    stop()
      .then(() => process.exit(0))
      .catch((error: Error) => {
        log(`error while stopping: ${error.message}`);
        process.exit(1);
      });
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}
