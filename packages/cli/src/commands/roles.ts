import { existsSync } from "node:fs";
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import type { Config, ConfigFlags } from "../roles/config.js";

// The roles load the store, the HTTP server and their clients; `gantry run` never needs them, so they
// are imported only when a role starts.
async function roles() {
  const [auth, config, server, services, worker, summary, http] = await Promise.all([
    import("../roles/auth.js"),
    import("../roles/config.js"),
    import("../roles/server.js"),
    import("../roles/services.js"),
    import("../roles/worker.js"),
    import("../roles/summary.js"),
    import("@gantry/server"),
  ]);
  return { ...auth, ...config, ...server, ...services, ...worker, ...summary, ...http };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

type Role = "up" | "server" | "worker";

interface RoleFlags extends ConfigFlags {
  migrate?: boolean;
  checkConfig?: boolean;
}

const CHECK_CONFIG_HELP =
  "check the flags, GANTRY_* variables and gantry.yaml (references resolved) as a start would, print the " +
  "result without secrets, and exit without opening the database";
const METRICS_PORT_HELP = "serve /metrics, /healthz and /readyz on this port, apart from the API";
const RUNNERS_HELP =
  "runner types the worker offers: local, docker, kubernetes, ssh (default local; local,ssh with nodes)";
const LABELS_HELP = "labels the worker offers; a step's runner.labels must all be among them";
const MIGRATE_HELP = "migrate the database schema at start instead of waiting for `gantry migrate` to";

/**
 * Loads and checks a role's configuration; everything that can be refused without a database is refused
 * here, so `--check-config` and a real start agree.
 */
async function prepare(role: Role, flags: RoleFlags): Promise<Config> {
  const r = await roles();
  const config = await r.loadConfig(flags);
  // With git sources configured, the workflows come from them, not from the examples.
  if (role === "up" && !config.dir && config.sources.length === 0 && existsSync("examples"))
    config.dir = "examples";
  const requirePostgres = role !== "up";
  // `gantry up` without a key makes one in its data folder at start; a check must not write it.
  if (requirePostgres || config.encryptionKey) r.checkStore(config, { requirePostgres });
  if (role !== "worker") r.checkExposure(config.auth, config.server.host, flags.insecure === true);
  if (
    config.metrics &&
    role !== "worker" &&
    config.metrics.port !== 0 &&
    config.metrics.port === config.server.port
  ) {
    throw new UsageError(
      `the metrics port ${config.metrics.port} is the API's port: give metrics.port another one`,
    );
  }
  return config;
}

/** Starts a role: its operations listener first, so probes answer while it waits for the database. */
async function start(role: Role, flags: RoleFlags): Promise<void> {
  const config = await prepare(role, flags);
  const r = await roles();
  if (flags.checkConfig) {
    process.stdout.write(
      `${JSON.stringify(r.configSummary(role, config, { migrate: role === "up" || flags.migrate === true }), null, 2)}\n`,
    );
    return;
  }
  const health = new r.ProcessHealth(log);
  let registry: import("prom-client").Registry | undefined;
  const ops = config.metrics
    ? await r.startOpsServer({ ...config.metrics, health, registry: () => registry, version: r.VERSION })
    : undefined;
  if (ops) log(`metrics, /healthz and /readyz on ${ops.url}`);
  const service = await r
    .openServices(config, log, {
      requirePostgres: role !== "up",
      migrate: role === "up" || flags.migrate === true,
      health,
    })
    .catch(async (error: unknown) => {
      await ops?.close();
      throw error;
    });
  health.database = service.database;
  const server =
    role === "worker"
      ? undefined
      : await r.startServerRole(service, config, log, {
          insecure: flags.insecure === true,
          health,
        });
  // A worker alone has series of its own; with a server in the process (`up`) they share its registry.
  const metrics = server?.metrics ?? r.createMetrics(service, { store: false, process: true });
  registry = metrics.registry;
  const worker =
    role === "server"
      ? undefined
      : await r.startWorkerRole(service, config, log, {
          stepDuration: (seconds, status) => metrics.stepDuration.observe({ status }, seconds),
          claimLatency: (seconds) => metrics.claimLatency.observe(seconds),
        });
  if (worker) {
    r.addWorkerGauges(metrics.registry, () => ({
      running: worker.running,
      slots: config.worker.concurrency,
      draining: worker.state === "draining",
    }));
    health.addCheck(() => (worker.state === "running" ? undefined : `worker ${worker.state}`));
  }
  health.phase = "running";
  if (role === "up")
    log(
      `Gantry is up: ${server?.url}  (API ${server?.url}/api/v1, data in ${config.database ?? config.data})`,
    );
  else if (server) log(`Gantry server listening on ${server.url}`);
  r.onShutdown(async () => {
    // Unready first, so a load balancer stops sending while running requests and steps finish.
    health.phase = "stopping";
    await worker?.stop();
    await server?.stop();
    await service.close();
    await ops?.close();
  }, log);
}

export function registerRoleCommands(program: Command): void {
  program
    .command("up")
    .description(
      "Everything in one process: API, scheduler and a worker, SQLite in ./.gantry, workflows from --dir",
    )
    .option(
      "--dir <dir>",
      "folder of workflows, watched: changes load when every file is valid (default ./examples when it exists)",
    )
    .option("--data <dir>", "data folder (default ./.gantry)")
    .option("--database <url>", "postgres:// URL or SQLite file (default <data>/gantry.db)")
    .option("--host <host>", "address to listen on (default 127.0.0.1)")
    .option("--port <port>", "port to listen on (default 8080; 0 picks a free one)")
    .option("--metrics-port <port>", METRICS_PORT_HELP)
    .option("--insecure", "allow listening on a non-loopback address without authentication")
    .option("--concurrency <n>", "steps run at once (default 4)")
    .option("--runners <a,b>", RUNNERS_HELP)
    .option("--labels <a,b>", LABELS_HELP)
    .option("--config <file>", "configuration file (default ./gantry.yaml)")
    .option("--check-config", CHECK_CONFIG_HELP)
    .action((flags: RoleFlags) => start("up", flags));

  program
    .command("server")
    .description("The API and the singletons, on PostgreSQL; run several behind a load balancer")
    .option(
      "--database <url>",
      "postgres:// URL (or GANTRY_DATABASE, which keeps it out of the process list)",
    )
    .option("--dir <dir>", "folder of workflows to load")
    .option("--host <host>", "address to listen on (default 127.0.0.1)")
    .option("--port <port>", "port to listen on (default 8080)")
    .option("--metrics-port <port>", METRICS_PORT_HELP)
    .option("--insecure", "allow listening on a non-loopback address without authentication")
    .option("--data <dir>", "data folder (default ./.gantry)")
    .option("--config <file>", "configuration file (default ./gantry.yaml)")
    .option("--migrate", MIGRATE_HELP)
    .option("--check-config", CHECK_CONFIG_HELP)
    .action((flags: RoleFlags) => start("server", flags));

  program
    .command("worker")
    .description("Claims and runs steps from the PostgreSQL queue")
    .option(
      "--database <url>",
      "postgres:// URL (or GANTRY_DATABASE, which keeps it out of the process list)",
    )
    .option("--labels <a,b>", LABELS_HELP)
    .option("--runners <a,b>", RUNNERS_HELP)
    .option("--concurrency <n>", "steps run at once (default 4)")
    .option("--metrics-port <port>", METRICS_PORT_HELP)
    .option("--data <dir>", "data folder for the action cache (default ./.gantry)")
    .option("--config <file>", "configuration file (default ./gantry.yaml)")
    .option("--migrate", MIGRATE_HELP)
    .option("--check-config", CHECK_CONFIG_HELP)
    .action((flags: RoleFlags) => start("worker", flags));
}
