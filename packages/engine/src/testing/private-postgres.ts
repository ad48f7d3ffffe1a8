import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/**
 * A PostgreSQL cluster of the test's own, in a temporary folder on a free port: fault tests restart it
 * and terminate its connections, which they must never do to the machine's shared server. initdb and
 * postgres refuse to run as root, so as root the cluster belongs to the `postgres` user.
 */
export interface PrivatePostgres {
  url(database: string): string;
  restart(): void;
  stop(): void;
  start(): void;
  remove(): void;
}

function binDir(): string {
  const base = "/usr/lib/postgresql";
  let versions: string[];
  try {
    versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  } catch {
    throw new Error(`no PostgreSQL server binaries under ${base}: install the postgresql package`);
  }
  if (versions.length === 0) throw new Error(`no PostgreSQL version under ${base}`);
  return path.join(base, versions[0] as string, "bin");
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const root = mkdtempSync(path.join(os.tmpdir(), "gantry-pg-"));
  const data = path.join(root, "data");
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(root, uid, gid);
    chmodSync(root, 0o700);
  }
  const run = (program: string, args: string[]) =>
    execFileSync(
      asRoot ? "runuser" : path.join(bin, program),
      asRoot ? ["-u", "postgres", "--", path.join(bin, program), ...args] : args,
      { stdio: ["ignore", "pipe", "pipe"], cwd: root, timeout: 120_000 },
    );
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = () =>
    run("pg_ctl", ["-D", data, "-o", options, "-w", "-t", "60", "-l", path.join(root, "log"), "start"]);
  const stop = () => run("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]);
  start();
  return {
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start,
    stop,
    restart: () => {
      stop();
      start();
    },
    remove: () => {
      try {
        stop();
      } catch {
        // Not running.
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
