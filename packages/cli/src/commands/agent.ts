import path from "node:path";
import { parseDuration } from "@gantry/core";
import type { Command } from "commander";
import { UsageError } from "../errors.js";

const log = (line: string) => process.stderr.write(`${line}\n`);

/** The runner types an agent may offer: those that need nothing from the server's configuration. */
const AGENT_RUNNERS = ["local", "docker", "kubernetes"] as const;
type AgentRunner = (typeof AGENT_RUNNERS)[number];

interface AgentFlags {
  server: string;
  token?: string;
  labels?: string;
  concurrency?: string;
  runners?: string;
  data?: string;
  lease?: string;
  wakeUps?: string;
}

/** The agent's flags, checked: everything that can be refused before reaching the server is refused here. */
export function agentSettings(flags: AgentFlags, env: NodeJS.ProcessEnv = process.env) {
  const token = flags.token ?? env.GANTRY_AGENT_TOKEN;
  if (!token)
    throw new UsageError("--token or GANTRY_AGENT_TOKEN: the agent key (gantry keys create --role agent)");
  let server: URL;
  try {
    server = new URL(flags.server);
  } catch {
    throw new UsageError(`--server '${flags.server}': not a URL (e.g. https://gantry.example.com)`);
  }
  if (server.protocol !== "https:" && server.protocol !== "http:")
    throw new UsageError(`--server '${flags.server}': must be https:// (or http:// on a trusted network)`);
  const list = (value: string | undefined) =>
    (value ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
  const runners = list(flags.runners ?? "local");
  for (const runner of runners)
    if (!(AGENT_RUNNERS as readonly string[]).includes(runner))
      throw new UsageError(`--runners: '${runner}' must be one of ${AGENT_RUNNERS.join(", ")}`);
  const concurrency = Number(flags.concurrency ?? "4");
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000)
    throw new UsageError(`--concurrency '${flags.concurrency}': a whole number from 1 to 1000`);
  let leaseMs = 30_000;
  if (flags.lease !== undefined) {
    try {
      leaseMs = parseDuration(flags.lease);
    } catch (error) {
      throw new UsageError(`--lease: ${(error as Error).message}`);
    }
    if (leaseMs < 3_000 || leaseMs > 600_000)
      throw new UsageError(`--lease '${flags.lease}': from 3s to 10m`);
  }
  const wakeUps = flags.wakeUps ?? "auto";
  if (wakeUps !== "auto" && wakeUps !== "websocket" && wakeUps !== "long-poll")
    throw new UsageError(`--wake-ups '${wakeUps}': auto, websocket or long-poll`);
  return {
    server: server.toString(),
    token,
    labels: list(flags.labels),
    runners: runners as AgentRunner[],
    concurrency,
    leaseMs,
    wakeUps: wakeUps as "auto" | "websocket" | "long-poll",
    data: path.resolve(flags.data ?? ".gantry-agent"),
  };
}

/**
 * `gantry agent`: a worker that reaches only the server's API, over HTTPS: for machines behind a
 * firewall or in another network. It needs an agent key, and no database.
 */
export function registerAgentCommand(program: Command): void {
  program
    .command("agent")
    .description("A worker that reaches only the server's API (HTTPS), with an agent key; no database")
    .requiredOption("--server <url>", "the server's URL, e.g. https://gantry.example.com")
    .option("--token <key>", "the agent key (or GANTRY_AGENT_TOKEN, which keeps it out of the process list)")
    .option("--labels <a,b>", "labels it offers, among its key's (default: all of its key's)")
    .option("--concurrency <n>", "steps run at once (default 4)")
    .option("--runners <a,b>", `runner types it offers: ${AGENT_RUNNERS.join(", ")} (default local)`)
    .option("--data <dir>", "folder for its action cache and log spool (default ./.gantry-agent)")
    .option("--lease <duration>", "how long a claimed step stays its own without a renewal (default 30s)")
    .option("--wake-ups <mode>", "auto (WebSocket, long-poll when blocked), websocket or long-poll")
    .action(async (flags: AgentFlags) => {
      const settings = agentSettings(flags);
      const [{ AgentApiError, createAgent, createRunners }, { onShutdown }, { VERSION }] = await Promise.all([
        import("@gantry/engine"),
        import("../roles/worker.js"),
        import("../roles/server.js"),
      ]);
      let refused = false;
      const { worker, whoami } = await createAgent({
        server: settings.server,
        token: settings.token,
        labels: settings.labels,
        concurrency: settings.concurrency,
        leaseMs: settings.leaseMs,
        dataDir: settings.data,
        version: VERSION,
        wakeUps: settings.wakeUps,
        runner: createRunners(settings.runners, { local: { spawner: "helper" } }),
        onError: (error) => {
          log(`agent: ${error.message}`);
          // A revoked or expired key: nothing this agent does will be taken any more.
          if (error instanceof AgentApiError && error.status === 401 && !refused) {
            refused = true;
            log("agent: the server refuses this agent's key (revoked or expired): stopping");
            void worker.stop().finally(() => process.exit(1));
          }
        },
        onWakeUpMode: (mode) => log(`agent: wake-ups by ${mode}`),
      }).catch((error: Error) => {
        throw new UsageError(`cannot join ${settings.server}: ${error.message}`);
      });
      for (const label of settings.labels)
        if (!whoami.labels.includes(label))
          log(
            `agent: label '${label}' is not among key '${whoami.name}''s (${whoami.labels.join(",") || "none"}): the server ignores it`,
          );
      await worker.start();
      log(
        `agent ${worker.id} joined ${settings.server} (concurrency ${settings.concurrency}, runners ${settings.runners.join(",")}, labels ${(settings.labels.length ? settings.labels : whoami.labels).join(",") || "none"})`,
      );
      onShutdown(() => worker.stop(), log);
    });
}
