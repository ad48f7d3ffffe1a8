import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  AgentOperations,
  applyRetention,
  CommitReporter,
  describeSchedulerEvent,
  describeTriggerEvent,
  expireGates,
  type FolderEvent,
  FolderSource,
  GitCache,
  LogArchiver,
  libraryResolver,
  NodeInventory,
  NotificationSender,
  reapExpiredJobs,
  reconcileSubWorkflows,
  Scheduler,
  type ServiceContext,
  SourceSyncer,
  type SyncerEvent,
  secretResolver,
  TriggerListeners,
} from "@gantry/engine";
import { buildApp, createMetrics, LogTails, type ProcessHealth } from "@gantry/server";
import type { FastifyInstance } from "fastify";
import { UsageError } from "../errors.js";
import { checkExposure } from "./auth.js";
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

/**
 * The built UI: packages/ui/dist beside this package (the same three levels up from dist/roles and from
 * dist/bundle), or GANTRY_UI_DIR for an install that puts it elsewhere (the container image).
 */
function uiDirectory(): string {
  return process.env.GANTRY_UI_DIR ?? fileURLToPath(new URL("../../../ui/dist", import.meta.url));
}

/** The API, the workflows of `--dir`, and the reaper. */
export async function startServerRole(
  service: ServiceContext,
  config: Config,
  log: (line: string) => void,
  options: { insecure?: boolean; health?: ProcessHealth } = {},
): Promise<ServerRole> {
  // Before anything starts: an exposed server without authentication refuses to come up.
  const exposure = checkExposure(config.auth, config.server.host, options.insecure ?? false);
  // The folder of workflows is read as a git source's commit is (all valid, or the last good set stays),
  // and again after each change: a ConfigMap mounted as the folder changes in place under a server.
  const folder = config.dir
    ? new FolderSource(service, config.dir, {
        load:
          config.libraries.length > 0
            ? {
                // Library actions (`uses: lib/path@ref`) are fetched into the same cache as the sources'.
                libraries: libraryResolver(
                  new GitCache(path.join(config.data, "git")),
                  config.libraries,
                  secretResolver(config.configDir, process.env, service.secretProviders),
                ),
              }
            : {},
        onEvent: (event) => log(describeFolderEvent(event)),
      })
    : undefined;
  await folder?.load();
  folder?.watch();
  // Git sources sync in the background: a slow remote must not hold the API back. GET /api/v1/sources
  // shows each one's state meanwhile.
  const sources =
    config.sources.length > 0
      ? new SourceSyncer(service, {
          sources: config.sources,
          libraries: config.libraries,
          cacheDir: path.join(config.data, "git"),
          resolveSecret: secretResolver(config.configDir, process.env, service.secretProviders),
          onEvent: (event) => log(describeSyncerEvent(event)),
        })
      : undefined;
  // Runs that target nodes choose them from here as they start; the Nodes page and API list them.
  const nodes = new NodeInventory({
    entries: config.nodes.entries,
    baseDir: config.configDir,
    defaults: config.nodes.defaults,
    ...(sources ? { readSourceFile: (source, file) => sources.readActiveFile(source, file) } : {}),
  });
  service.nodes = nodes;
  // With a metrics listener of its own, the process's series are there too (CPU, memory, event loop).
  const metrics = createMetrics(service, { process: config.metrics !== undefined });
  const logArchive = logArchiveFor(config);
  const logTails = new LogTails(service, logArchive);
  // Agents send their logs as they run; the server archives each step's log when its result comes.
  const agentLogs = new LogArchiver(
    service,
    logArchive,
    path.join(config.data, "spool", "agent-logs"),
    (error) => log(`agent logs: ${error.message}`),
  );
  const agents = new AgentOperations(service, {
    environments: { environments: config.people.environments, baseDir: config.configDir },
    archiver: agentLogs,
    onError: (error) => log(`agents: ${error.message}`),
  });
  void agentLogs
    .flushSpool()
    .catch((error: Error) => log(`agent logs: spool not uploaded yet: ${error.message}`));
  const app = await buildApp({
    service,
    metrics,
    registry: metrics.registry,
    version: VERSION,
    logArchive,
    logTails,
    uiDir: uiDirectory(),
    auth: { ...config.auth, ...(options.insecure ? { insecure: true } : {}) },
    ...(sources ? { sources } : {}),
    ...(folder ? { folders: [folder] } : {}),
    ...(options.health ? { health: options.health } : {}),
    metricsOnApiPort: config.metrics === undefined,
    // The stack, not the request: a body may hold secrets.
    onInternalError: (error, where) => log(`${where} failed: ${error.stack ?? error.message}`),
    onWarning: log,
    nodes,
    agents,
    ...(config.server.webhookBodyLimit !== undefined
      ? { webhookBodyLimit: config.server.webhookBodyLimit }
      : {}),
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
  log(exposure);
  // One scheduler per server; on Postgres the one holding the lease fires, the others stand by.
  const lease = config.singletonLeaseMs ? { leaseMs: config.singletonLeaseMs } : {};
  const scheduler = new Scheduler(service, {
    ...lease,
    onEvent: (event) => {
      const line = describeSchedulerEvent(event);
      if (line) log(line);
    },
  });
  await scheduler.start();
  // One listener per event trigger (on.rabbitmq, kinesis, postgres, mqtt, nats, workflow); on Postgres
  // each is consumed by the one server holding its lease, the others stand by.
  const triggers = new TriggerListeners(service, {
    ...lease,
    onEvent: (event) => {
      const line = describeTriggerEvent(event);
      if (line) log(line);
    },
  });
  await triggers.start();
  const firstSync = sources?.start().catch((error: Error) => log(`sources: ${error.message}`));
  // Results of runs that GitHub events started go back to their commits (sources with github.token or
  // github.app); it reads run statuses from the store, so it never holds a run back.
  const reporter = new CommitReporter(service, {
    sources: config.sources,
    resolveSecret: secretResolver(config.configDir, process.env, service.secretProviders),
    ...((config.server.publicUrl ?? config.auth.publicUrl)
      ? { publicUrl: config.server.publicUrl ?? config.auth.publicUrl }
      : {}),
    onEvent: (event) => {
      if (event.type === "failed")
        log(
          `github: run ${event.runId} (${event.status}) not reported yet: ${event.error}; retrying in ${Math.round(event.retryInMs / 1000)} s`,
        );
      if (event.type === "gave_up")
        log(`github: gave up reporting run ${event.runId} (${event.status}): ${event.error}`);
    },
  });
  reporter.start();
  if (nodes.configured) {
    // After the first sync: an inventory kept in a git source is read at the source's active commit.
    void Promise.resolve(firstSync)
      .then(() => nodes.current())
      .then(({ nodes: found, problems }) => {
        log(
          `nodes: ${found.length} in the inventory${problems.length ? `, ${problems.length} problem(s):` : ""}`,
        );
        for (const problem of problems) log(`  ${problem}`);
      });
  }
  const reaper = setInterval(() => {
    const reaped = reapExpiredJobs(service).catch((error: Error) => log(`reaper: ${error.message}`));
    // Approvals past their timeout are decided by on_timeout on the same beat.
    const expired = expireGates(service).catch((error: Error) => log(`approvals: ${error.message}`));
    // Then sub-workflow parents and children are made to agree, however their runs ended.
    void Promise.all([reaped, expired]).then(() =>
      reconcileSubWorkflows(service).catch((error: Error) => log(`sub-workflows: ${error.message}`)),
    );
  }, REAP_EVERY_MS);
  // Notifications queued by runs go out from every server (each message is claimed before it is sent).
  const sender = new NotificationSender(service, {
    logArchive,
    onError: (error) => log(`notifications: ${error.message}`),
  });
  sender.start();
  const { runsMs, logsMs } = config.retention;
  const sweep = () =>
    applyRetention(service, logArchive, config.retention)
      .then(({ runs, logs, history }) => {
        if (runs || logs || history)
          log(
            `retention: deleted ${runs} runs, the logs of ${logs} step attempts and ${history} schedule fires and trigger events`,
          );
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
      await sources?.stop();
      await reporter.stop();
      await folder?.stop();
      await scheduler.stop();
      await triggers.stop();
      clearInterval(reaper);
      await sender.stop();
      if (retention) clearInterval(retention);
      logTails.close();
      await app.close();
    },
  };
}

function describeFolderEvent(event: FolderEvent): string {
  if (event.type === "loaded") {
    const n = event.workflows.length;
    const removed = event.removed.length > 0 ? `, removed ${event.removed.join(", ")}` : "";
    return `loaded ${n} workflow${n === 1 ? "" : "s"} from ${event.dir}${removed}`;
  }
  return [
    `${event.dir}: not loaded, the last good workflows stay active:`,
    ...event.errors.map((e) => `  ${e}`),
  ].join("\n");
}

function describeSyncerEvent(event: SyncerEvent): string {
  if (event.type === "activated")
    return `source ${event.source}: activated ${event.commit.slice(0, 12)} (${event.workflows} workflow${event.workflows === 1 ? "" : "s"})`;
  if (event.type === "invalid")
    return [
      `source ${event.source}: ${event.commit ? `commit ${event.commit.slice(0, 12)} not activated` : "sync failed"}`,
      ...event.errors.map((e) => `  ${e}`),
    ].join("\n");
  return `source ${event.source}: push started ${event.runs.map((r) => r.workflow).join(", ")}`;
}
