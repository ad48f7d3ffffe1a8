import path from "node:path";
import { createRunners, createWorker, LogArchiver, type ServiceContext, type Worker } from "@gantry/engine";
import type { Config } from "./config.js";
import { logArchiveFor } from "./services.js";

/** A worker running steps with the runners it offers (`--runners local,docker,kubernetes`). */
export async function startWorkerRole(
  service: ServiceContext,
  config: Config,
  log: (line: string) => void,
  observe?: {
    stepDuration?: (seconds: number, status: string) => void;
    claimLatency?: (seconds: number) => void;
  },
): Promise<Worker> {
  const objects = logArchiveFor(config);
  const archiver = new LogArchiver(service, objects, path.join(config.data, "spool", "logs"), (error) =>
    log(`logs: ${error.message}`),
  );
  // Logs a previous run of this worker could not upload are sent now.
  await archiver.flushSpool().catch((error: Error) => log(`logs: spool not uploaded yet: ${error.message}`));
  const worker = createWorker(service, {
    logs: { archiver },
    // Artifacts and caches live in the same store as finished logs (a folder, or S3).
    files: {
      objects,
      ...(config.worker.docker?.tmp ? { workspaceRoot: config.worker.docker.tmp } : {}),
    },
    labels: config.worker.labels,
    concurrency: config.worker.concurrency,
    leaseMs: config.worker.leaseMs,
    pollMs: config.worker.pollMs,
    graceMs: config.worker.graceMs,
    cacheDir: path.join(config.data, "cache", "actions"),
    // Docker and Kubernetes clients load when a step first needs them (or at start, for clean-up).
    runner: createRunners(config.worker.runners, {
      // A long-lived worker starts steps through a small helper process: forking itself for each step
      // would block its event loop for milliseconds every time (see engine runners/local/spawner.ts).
      local: { spawner: "helper" },
      docker: {
        ...(config.worker.docker?.engineSocket ? { engineSocket: config.worker.docker.engineSocket } : {}),
        ...(config.worker.docker?.tmp ? { tmpRoot: config.worker.docker.tmp } : {}),
      },
      // Keys are resolved per step from the run's nodes; how to trust and reach hosts is this machine's.
      ssh: config.nodes.client,
      kubernetes: {
        ...(config.worker.kubernetes?.kubeconfig
          ? { kubeconfigPath: config.worker.kubernetes.kubeconfig }
          : {}),
        ...(config.worker.kubernetes?.namespace ? { namespace: config.worker.kubernetes.namespace } : {}),
        ...(config.worker.kubernetes?.initImage ? { initImage: config.worker.kubernetes.initImage } : {}),
        ...(config.worker.kubernetes?.dindImage ? { dindImage: config.worker.kubernetes.dindImage } : {}),
        ...(config.worker.kubernetes?.podSecurity
          ? { podSecurity: config.worker.kubernetes.podSecurity }
          : {}),
      },
    }),
    environments: { environments: config.people.environments, baseDir: config.configDir },
    onError: (error) => log(`worker: ${error.message}`),
    ...(observe?.stepDuration ? { onFinished: observe.stepDuration } : {}),
    ...(observe?.claimLatency ? { onClaimed: observe.claimLatency } : {}),
  });
  await worker.start();
  log(
    `worker ${worker.id} started (concurrency ${config.worker.concurrency}, runners ${config.worker.runners.join(",")}${config.worker.labels.length ? `, labels ${config.worker.labels.join(",")}` : ""})`,
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
