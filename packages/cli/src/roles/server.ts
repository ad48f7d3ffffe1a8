import { formatProblem } from "@gantry/core";
import { reapExpiredJobs, registerFolder, type ServiceContext } from "@gantry/engine";
import { buildApp, createMetrics } from "@gantry/server";
import type { FastifyInstance } from "fastify";
import { UsageError } from "../errors.js";
import type { Config } from "./config.js";

export const VERSION = "0.1.0";

/** How often a server looks for steps whose worker stopped renewing its lease. */
const REAP_EVERY_MS = 5_000;

export interface ServerRole {
  app: FastifyInstance;
  url: string;
  metrics: ReturnType<typeof createMetrics>;
  stop(): Promise<void>;
}

/** The API, the workflows of `--dir`, and the reaper. */
export async function startServerRole(
  service: ServiceContext,
  config: Config,
  log: (line: string) => void,
): Promise<ServerRole> {
  if (config.dir) {
    const { registered, problems } = await registerFolder(service, config.dir);
    log(`loaded ${registered.length} workflow${registered.length === 1 ? "" : "s"} from ${config.dir}`);
    for (const p of problems) log(`  ${formatProblem(p)}`);
  }
  const metrics = createMetrics(service);
  const app = await buildApp({ service, metrics, registry: metrics.registry, version: VERSION });
  let address: string;
  try {
    address = await app.listen({ host: config.server.host, port: config.server.port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      throw new UsageError(
        `port ${config.server.port} on ${config.server.host} is in use: pass --port (0 picks a free one)`,
      );
    }
    throw error;
  }
  const reaper = setInterval(() => {
    reapExpiredJobs(service).catch((error: Error) => log(`reaper: ${error.message}`));
  }, REAP_EVERY_MS);
  return {
    app,
    url: address,
    metrics,
    async stop() {
      clearInterval(reaper);
      await app.close();
    },
  };
}
