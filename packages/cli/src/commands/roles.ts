import { existsSync } from "node:fs";
import type { Command } from "commander";
import type { ConfigFlags } from "../roles/config.js";

// The roles load the store, the HTTP server and their clients; `gantry run` never needs them, so they
// are imported only when a role starts.
async function roles() {
  const [config, server, services, worker] = await Promise.all([
    import("../roles/config.js"),
    import("../roles/server.js"),
    import("../roles/services.js"),
    import("../roles/worker.js"),
  ]);
  return { ...config, ...server, ...services, ...worker };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

export function registerRoleCommands(program: Command): void {
  program
    .command("up")
    .description(
      "Everything in one process: API, scheduler and a worker, SQLite in ./.gantry, workflows from --dir",
    )
    .option("--dir <dir>", "folder of workflows to load (default ./examples when it exists)")
    .option("--data <dir>", "data folder (default ./.gantry)")
    .option("--database <url>", "postgres:// URL or SQLite file (default <data>/gantry.db)")
    .option("--host <host>", "address to listen on (default 127.0.0.1)")
    .option("--port <port>", "port to listen on (default 8080; 0 picks a free one)")
    .option("--insecure", "allow listening on a non-loopback address without authentication")
    .option("--concurrency <n>", "steps run at once (default 4)")
    .option("--config <file>", "configuration file (default ./gantry.yaml)")
    .action(async (flags: ConfigFlags) => {
      const { loadConfig, openServices, startServerRole, startWorkerRole, onShutdown } = await roles();
      const config = await loadConfig(flags);
      // With git sources configured, the workflows come from them, not from the examples.
      if (!config.dir && config.sources.length === 0 && existsSync("examples")) config.dir = "examples";
      const service = await openServices(config, log);
      const server = await startServerRole(service, config, log, { insecure: flags.insecure === true });
      const worker = await startWorkerRole(service, config, log, {
        stepDuration: (seconds, status) => server.metrics.stepDuration.observe({ status }, seconds),
        claimLatency: (seconds) => server.metrics.claimLatency.observe(seconds),
      });
      log(
        `Gantry is up: ${server.url}  (API ${server.url}/api/v1, data in ${config.database ?? config.data})`,
      );
      onShutdown(async () => {
        await worker.stop();
        await server.stop();
        await service.close();
      }, log);
    });

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
    .option("--insecure", "allow listening on a non-loopback address without authentication")
    .option("--data <dir>", "data folder (default ./.gantry)")
    .option("--config <file>", "configuration file (default ./gantry.yaml)")
    .action(async (flags: ConfigFlags) => {
      const { loadConfig, openServices, startServerRole, onShutdown } = await roles();
      const config = await loadConfig(flags);
      const service = await openServices(config, log, { requirePostgres: true });
      const server = await startServerRole(service, config, log, { insecure: flags.insecure === true });
      log(`Gantry server listening on ${server.url}`);
      onShutdown(async () => {
        await server.stop();
        await service.close();
      }, log);
    });

  program
    .command("worker")
    .description("Claims and runs steps from the PostgreSQL queue")
    .option(
      "--database <url>",
      "postgres:// URL (or GANTRY_DATABASE, which keeps it out of the process list)",
    )
    .option("--labels <a,b>", "labels this worker offers; a step's runner.labels must all be among them")
    .option("--runners <a,b>", "runner types this worker offers: local, docker, kubernetes (default local)")
    .option("--concurrency <n>", "steps run at once (default 4)")
    .option("--data <dir>", "data folder for the action cache (default ./.gantry)")
    .option("--config <file>", "configuration file (default ./gantry.yaml)")
    .action(async (flags: ConfigFlags) => {
      const { loadConfig, openServices, startWorkerRole, onShutdown } = await roles();
      const config = await loadConfig(flags);
      const service = await openServices(config, log, { requirePostgres: true });
      const worker = await startWorkerRole(service, config, log);
      onShutdown(async () => {
        await worker.stop();
        await service.close();
      }, log);
    });
}
