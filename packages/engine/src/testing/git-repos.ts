import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { waitFor } from "./wait-for.js";

const GIT_ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("GIT_"))),
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.com",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    env: GIT_ENV,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

/**
 * A real repository for tests: a working clone (`work`) that pushes to a bare remote (`remote`, whose
 * file:// URL is `url`), on branch `main`.
 */
export function gitRemote(root: string) {
  const remote = path.join(root, "remote.git");
  const work = path.join(root, "work");
  mkdirSync(work, { recursive: true });
  git(root, "init", "--quiet", "--bare", "--initial-branch=main", remote);
  git(work, "init", "--quiet", "--initial-branch=main");
  git(work, "remote", "add", "origin", remote);
  return {
    remote,
    work,
    url: `file://${remote}`,
    write(relative: string, text: string) {
      const file = path.join(work, relative);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
    },
    remove(relative: string) {
      rmSync(path.join(work, relative), { recursive: true, force: true });
    },
    /** Commits everything and returns the new commit's id. */
    commit(message: string): string {
      git(work, "add", "--all");
      git(work, "commit", "--quiet", "--allow-empty", "-m", message);
      return git(work, "rev-parse", "HEAD");
    },
    push(ref = "main", options: { force?: boolean } = {}) {
      git(work, "push", "--quiet", ...(options.force ? ["--force"] : []), "origin", `HEAD:refs/heads/${ref}`);
    },
    git: (...args: string[]) => git(work, ...args),
  };
}

/** `git daemon` serving every repository under `base` on a free loopback port (git://127.0.0.1:port/). */
export async function startGitDaemon(base: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    "git",
    [
      "daemon",
      "--export-all",
      "--reuseaddr",
      `--base-path=${base}`,
      "--listen=127.0.0.1",
      `--port=${port}`,
      base,
    ],
    { env: GIT_ENV, stdio: "ignore" },
  );
  const url = `git://127.0.0.1:${port}`;
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => {
          socket.end();
          resolve(true);
        });
        socket.on("error", () => resolve(false));
      }),
    { what: "git daemon to listen", timeoutMs: 10_000 },
  );
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}
