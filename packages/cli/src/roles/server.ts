import { formatProblem } from "@gantry/core";
import {
  applyRetention,
  describeSchedulerEvent,
  reapExpiredJobs,
  registerFolder,
  Scheduler,
  type ServiceContext,
} from "@gantry/engine";
import { buildApp, createMetrics, LogTails } from "@gantry/server";
import type { FastifyInstance } from "fastify";
import { UsageError } from "../errors.js";
import type { Config } from "./config.js";
import { logArchiveFor } from "./services.js";

export const VERSION = "0.1.0";

/** How often a server looks for steps whose worker stopped renewing its lease. */
const REAP_EVERY_MS = 5_000;
/** Retention is measured in days; an hourly sweep keeps it within an hour of the policy. */
const RETENTION_EVERY_MS = 3_600_000;

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
  const logArchive = logArchiveFor(config);
  const logTails = new LogTails(service, logArchive);
  const app = await buildApp({
    service,
    metrics,
    registry: metrics.registry,
    version: VERSION,
    logArchive,
    logTails,
  });
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
  // One scheduler per server; on Postgres the one holding the lease fires, the others stand by.
  const scheduler = new Scheduler(service, {
    onEvent: (event) => {
      const line = describeSchedulerEvent(event);
      if (line) log(line);
    },
  });
  await scheduler.start();
  const reaper = setInterval(() => {
    reapExpiredJobs(service).catch((error: Error) => log(`reaper: ${error.message}`));
  }, REAP_EVERY_MS);
  const { runsMs, logsMs } = config.retention;
  const sweep = () =>
    applyRetention(service, logArchive, config.retention)
      .then(({ runs, logs }) => {
        if (runs || logs) log(`retention: deleted ${runs} runs and the logs of ${logs} step attempts`);
      })
      .catch((error: Error) => log(`retention: ${error.message}`));
  const retention =
    runsMs !== undefined || logsMs !== undefined ? setInterval(sweep, RETENTION_EVERY_MS) : undefined;
  if (retention) void sweep();
  return {
    app,
    url: address,
    metrics,
    async stop() {
      await scheduler.stop();
      clearInterval(reaper);
      if (retention) clearInterval(retention);
      logTails.close();
      await app.close();
    },
  };
}
