import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { waitFor } from "../../../../engine/src/testing/wait-for.js";
import { bin } from "../gantry-process.js";

/** A gantry process the fault suite started (and alone may kill). */
export interface GantryProcess {
  child: ChildProcess;
  /** What it printed to stderr so far. */
  log(): string;
  /** Its first match of the `ready` pattern. */
  match: RegExpExecArray;
  exited: Promise<void>;
}

/**
 * Starts and tracks `gantry server` / `gantry worker` / `gantry up` processes in `dir`. `killAll` ends
 * exactly the processes started here (by pid), never others of the machine.
 */
export class Cluster {
  private readonly children = new Set<ChildProcess>();

  constructor(
    private readonly dir: string,
    private readonly env: Record<string, string> = {},
  ) {}

  start(args: string[], ready: RegExp, env: Record<string, string> = {}): Promise<GantryProcess> {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: this.dir,
      env: { ...process.env, NO_COLOR: "1", ...this.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.children.add(child);
    const exited = new Promise<void>((resolve) =>
      child.on("exit", () => {
        this.children.delete(child);
        resolve();
      }),
    );
    let text = "";
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`gantry ${args[0]} did not start in 60 s:\n${text}`)),
        60_000,
      );
      child.stderr?.on("data", (d: Buffer) => {
        text += d;
        // Bounded: a long fault test must not keep every line a process printed.
        if (text.length > 1_000_000) text = text.slice(-500_000);
        const match = ready.exec(text);
        if (match) {
          clearTimeout(timer);
          resolve({ child, match, log: () => text, exited });
        }
      });
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`gantry ${args[0]} exited (${signal ?? code}) before it was ready:\n${text}`));
      });
    });
  }

  server(database: string, config: string, data: string): Promise<{ url: string; process: GantryProcess }> {
    return this.start(
      ["server", "--database", database, "--dir", "flows", "--port", "0", "--migrate", "--config", config],
      /listening on (http:\/\/\S+)/,
      { GANTRY_DATA: path.join(this.dir, data) },
    ).then((process) => ({ url: process.match[1] as string, process }));
  }

  worker(database: string, config: string, data: string, concurrency = 8): Promise<GantryProcess> {
    return this.start(
      ["worker", "--database", database, "--concurrency", String(concurrency), "--config", config],
      /worker (\S+) started/,
      { GANTRY_DATA: path.join(this.dir, data) },
    );
  }

  /** Processes still running. */
  get running(): number {
    return this.children.size;
  }

  async kill(process: GantryProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    process.child.kill(signal);
    await process.exited;
  }

  async killAll(): Promise<void> {
    for (const child of this.children) child.kill("SIGKILL");
    await waitFor(() => this.children.size === 0, {
      what: "the gantry processes to exit",
      timeoutMs: 30_000,
    });
  }
}
