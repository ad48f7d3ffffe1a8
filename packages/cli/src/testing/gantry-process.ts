import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

// Tests run the built CLI as a user would; `npm test` builds it first.
export const repo = fileURLToPath(new URL("../../../../", import.meta.url));
export const bin = path.join(repo, "packages/cli/bin/gantry.js");

export interface GantryResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `gantry ARGS` to its end (colours off), collecting both streams. */
export function gantry(
  args: string[],
  options: {
    cwd?: string;
    env?: Record<string, string>;
    onStdout?: (text: string, child: ChildProcess) => void;
  } = {},
): Promise<GantryResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? repo,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
      options.onStdout?.(stdout, child);
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** `gantry up ARGS` on a free port: resolves with its URL once it says so; `stop()` ends it with SIGTERM. */
export function startGantryUp(
  args: string[],
  cwd = repo,
  env: Record<string, string> = {},
): Promise<{ url: string; stop(): Promise<void> }> {
  const up = spawn(process.execPath, [bin, "up", "--port", "0", ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  const exited = new Promise<void>((resolve) => up.on("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let text = "";
    up.stderr.on("data", (d: Buffer) => {
      text += d;
      const match = /Gantry is up: (http:\/\/\S+)/.exec(text);
      if (match) {
        resolve({
          url: match[1] as string,
          async stop() {
            up.kill("SIGTERM");
            await exited;
          },
        });
      }
    });
    up.on("exit", (code) => reject(new Error(`gantry up exited with ${code}: ${text}`)));
  });
}
