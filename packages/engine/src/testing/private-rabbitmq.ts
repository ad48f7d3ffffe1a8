import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "./private-postgres.js";
import { waitFor } from "./wait-for.js";

/**
 * A RabbitMQ node of the test's own (its own name, ports, data and log folders), so restarting it
 * disturbs no one's broker. `rabbitmq-server` drops to the `rabbitmq` user, which must own the folders.
 */
export interface PrivateRabbitmq {
  url: string;
  /** Stops the node (as `rabbitmqctl stop` does) and waits for its process to exit. */
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  remove(): Promise<void>;
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

export async function startPrivateRabbitmq(): Promise<PrivateRabbitmq> {
  const root = mkdtempSync(path.join(os.tmpdir(), "gantry-rabbitmq-"));
  for (const sub of ["mnesia", "log"]) mkdirSync(path.join(root, sub));
  const port = await freePort();
  const distPort = await freePort();
  writeFileSync(path.join(root, "rabbitmq.conf"), `listeners.tcp.local = 127.0.0.1:${port}\n`);
  writeFileSync(path.join(root, "plugins"), "[].\n");
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "rabbitmq"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "rabbitmq"]).toString().trim());
    for (const p of ["", "mnesia", "log", "rabbitmq.conf", "plugins"])
      chownSync(path.join(root, p), uid, gid);
  }
  const node = `gantry-test-${process.pid}-${port}@localhost`;
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_CONFIG_FILE: path.join(root, "rabbitmq.conf"),
    RABBITMQ_MNESIA_BASE: path.join(root, "mnesia"),
    RABBITMQ_LOG_BASE: path.join(root, "log"),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(root, "plugins"),
    RABBITMQ_PID_FILE: path.join(root, "pid"),
  };
  let broker: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async () => {
    const child = spawn("rabbitmq-server", [], { env, cwd: root, stdio: "ignore" });
    broker = child;
    exited = new Promise((resolve) => child.on("exit", () => resolve()));
    await waitFor(() => portOpen(port), {
      what: "the private RabbitMQ node to listen",
      timeoutMs: 120_000,
      intervalMs: 250,
    });
  };
  const stop = async () => {
    try {
      execFileSync("rabbitmqctl", ["-n", node, "stop"], { env, stdio: "ignore", timeout: 60_000 });
    } catch {
      broker?.kill("SIGKILL");
    }
    await exited;
  };
  await start();
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    stop,
    start,
    restart: async () => {
      await stop();
      await start();
    },
    remove: async () => {
      await stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
