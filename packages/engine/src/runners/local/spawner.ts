import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import type { Stream } from "../types.js";

/** A step's process as the local runner drives it, whoever started it. */
export interface StepProcess {
  onOutput(handler: (stream: Stream, chunk: Buffer) => void): void;
  /** Stops reading the output (back-pressure: the step then blocks on a full pipe) and goes on. */
  pause(): void;
  resume(): void;
  /** Signals the step's whole process group (it runs in a session of its own). */
  kill(signal: NodeJS.Signals): void;
  /** Resolves once the process ended and its output was read to the end, or it could not start. */
  readonly ended: Promise<ProcessEnd>;
}

export type ProcessEnd =
  | {
      code: number | null;
      signal: NodeJS.Signals | null;
      /** The text of the step folder's `collect` file, read after the process ended. */
      collected?: string | undefined;
      /** The head of the step folder's `summary` file (see StepFolder.summary). */
      summary?: string | undefined;
    }
  | {
      /** `prepare`: the step folder could not be made (the message is the file system's). */
      error: { code?: string | undefined; message: string; prepare?: boolean | undefined };
    };

/**
 * A step's folder, made by a spawner that `makesFolders` before it starts the process, and removed
 * after it ended (after `collect` was read): `base` must not exist yet.
 */
export interface StepFolder {
  base: string;
  dirs: string[];
  files: Array<[path: string, text: string]>;
  collect: string;
  /** A file of which the first `limit` bytes are read back too (the step summary), when it is not empty. */
  summary?: { path: string; limit: number };
}

export interface SpawnRequest {
  program: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  folder?: StepFolder;
}

export interface SpawnerLike {
  /** Whether it makes and removes the step folder itself (SpawnRequest.folder). */
  readonly makesFolders: boolean;
  spawn(request: SpawnRequest): StepProcess;
  close(): void;
}

/**
 * Starts steps from this process. Node forks the whole process to start one (libuv's fork + exec), so
 * each start blocks the event loop for as long as copying this process's page tables takes: 3–8 ms for
 * a worker (measured on this 2-core machine, more under load), during which nothing else in it runs.
 * Right for `gantry run`, which starts few steps and must not pay for a helper's start.
 */
export class InlineSpawner implements SpawnerLike {
  readonly makesFolders = false;

  spawn(request: SpawnRequest): StepProcess {
    let child: ChildProcess;
    try {
      child = spawn(request.program, request.args, {
        cwd: request.cwd,
        env: request.env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      return failed({ message: (error as Error).message });
    }
    let output: ((stream: Stream, chunk: Buffer) => void) | undefined;
    child.stdout?.on("data", (chunk: Buffer) => output?.("stdout", chunk));
    child.stderr?.on("data", (chunk: Buffer) => output?.("stderr", chunk));
    // Background processes a step left behind would hold its output open forever: end them with it.
    child.on("exit", () => killGroup(child.pid, "SIGKILL"));
    const ended = new Promise<ProcessEnd>((resolve) => {
      child.on("error", (error: NodeJS.ErrnoException) =>
        resolve({ error: { code: error.code, message: error.message } }),
      );
      child.on("close", (code, signal) => resolve({ code, signal }));
    });
    return {
      onOutput: (handler) => {
        output = handler;
      },
      pause: () => {
        child.stdout?.pause();
        child.stderr?.pause();
      },
      resume: () => {
        child.stdout?.resume();
        child.stderr?.resume();
      },
      kill: (signal) => killGroup(child.pid, signal),
      ended,
    };
  }

  close(): void {}
}

function failed(error: { code?: string; message: string }): StepProcess {
  return {
    onOutput: () => {},
    pause: () => {},
    resume: () => {},
    kill: () => {},
    ended: Promise.resolve({ error }),
  };
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * The helper: a small Node process (about 40 MB, no modules of its own) that starts steps when asked
 * over its IPC channel and sends their output and exit back. It also makes and removes their folders,
 * with synchronous calls: a dozen small file operations a step that would each cost the worker a trip
 * through libuv's thread pool (about 1 ms a step together, measured on this machine). Plain CommonJS in a string, run with
 * `node -e`, so it needs no file of its own beside the compiled code (nor a build step in tests).
 * When its channel closes (the worker exited, however: SIGKILL and OOM included) or its parent changes
 * (the channel missed it), it ends every step's process group, SIGTERM and SIGKILL half a second later,
 * removes their folders and exits: no step outlives its worker, the try that runs again elsewhere never
 * overlaps it, and no step folder is left behind.
 */
export const HELPER_SOURCE = `"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const children = new Map();
const folders = new Map();
// Retries: a step's processes killed a moment ago may still be writing in the folder (ENOTEMPTY).
const remove = (dir) => { try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }); } catch {} };
const head = (file, limit) => {
  const fd = fs.openSync(file, "r");
  try { const b = Buffer.alloc(limit); const n = fs.readSync(fd, b, 0, limit, 0); return n > 0 ? b.subarray(0, n).toString("utf8") : undefined; }
  finally { fs.closeSync(fd); }
};
// A send to a worker that just died fails (EPIPE): that is the orphaning, not a crash of the helper.
const send = (message) => { if (process.connected) process.send(message, (error) => { if (error) orphan(); }); };
const killGroup = (pid, signal) => { if (pid === undefined) return; try { process.kill(-pid, signal); } catch {} };
const parent = process.ppid;
let orphaned = false;
const orphan = () => {
  if (orphaned) return;
  orphaned = true;
  for (const c of children.values()) killGroup(c.pid, "SIGTERM");
  setTimeout(() => {
    for (const c of children.values()) killGroup(c.pid, "SIGKILL");
    for (const dir of folders.values()) remove(dir);
    process.exit(0);
  }, children.size > 0 ? 500 : 0);
};
process.on("disconnect", orphan);
process.on("error", orphan);
setInterval(() => { if (process.ppid !== parent) orphan(); }, 250).unref();
process.on("message", (m) => {
  const child = children.get(m.id);
  if (m.op === "kill") return child && killGroup(child.pid, m.signal);
  if (m.op === "pause") return child && (child.stdout.pause(), child.stderr.pause());
  if (m.op === "resume") return child && (child.stdout.resume(), child.stderr.resume());
  if (m.op !== "spawn") return;
  const folder = m.folder;
  if (folder) {
    folders.set(m.id, folder.base);
    try {
      fs.mkdirSync(folder.base);
      for (const dir of folder.dirs) fs.mkdirSync(dir, { recursive: true });
      for (const [file, text] of folder.files) fs.writeFileSync(file, text);
    } catch (error) {
      remove(folder.base);
      return send({ op: "end", id: m.id, error: { message: error.message, prepare: true } });
    }
  }
  let done = false;
  const end = (message) => {
    if (done) return;
    done = true;
    children.delete(m.id);
    folders.delete(m.id);
    if (folder) {
      if (!message.error) try { message.collected = fs.readFileSync(folder.collect, "utf8"); } catch {}
      if (!message.error && folder.summary) try { message.summary = head(folder.summary.path, folder.summary.limit); } catch {}
      remove(folder.base);
    }
    send(message);
  };
  let c;
  try {
    c = spawn(m.program, m.args, { cwd: m.cwd, env: m.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    return end({ op: "end", id: m.id, error: { code: error.code, message: error.message } });
  }
  children.set(m.id, c);
  send({ op: "pid", id: m.id, pid: c.pid });
  c.stdout.on("data", (data) => send({ op: "out", id: m.id, fd: 1, data }));
  c.stderr.on("data", (data) => send({ op: "out", id: m.id, fd: 2, data }));
  c.on("exit", () => killGroup(c.pid, "SIGKILL"));
  c.on("error", (error) => end({ op: "end", id: m.id, error: { code: error.code, message: error.message } }));
  c.on("close", (code, signal) => end({ op: "end", id: m.id, code, signal }));
});
`;

type HelperMessage =
  | { op: "out"; id: number; fd: 1 | 2; data: Uint8Array }
  | { op: "pid"; id: number; pid: number | undefined }
  | {
      op: "end";
      id: number;
      code?: number | null;
      signal?: NodeJS.Signals | null;
      collected?: string;
      summary?: string;
      error?: { code?: string; message: string; prepare?: boolean };
    };

interface Pending {
  output?: (stream: Stream, chunk: Buffer) => void;
  /** The step's folder, which the helper made: removed here when the helper dies before it could. */
  folder?: string;
  /** The step's process (its group's id), once the helper started it. */
  pid?: number;
  resolve: (end: ProcessEnd) => void;
}

/**
 * Starts steps through the helper process, so the worker never forks itself: its event loop keeps
 * claiming, finishing and streaming logs while steps start (measured in bench/: throughput, the
 * workers' CPU per run). The helper's own fork is of a small process. Started on first use; when it
 * dies, the steps it was running fail (as when a worker loses a step) and the next step starts a new one.
 */
export class HelperSpawner implements SpawnerLike {
  readonly makesFolders = true;
  private helper: Helper | undefined;
  private nextId = 1;

  spawn(request: SpawnRequest): StepProcess {
    const helper = this.start();
    const id = this.nextId++;
    const entry: Pending = { resolve: () => {}, ...(request.folder ? { folder: request.folder.base } : {}) };
    const ended = new Promise<ProcessEnd>((resolve) => {
      entry.resolve = resolve;
    });
    helper.pending.set(id, entry);
    // While steps run, the channel keeps this process alive; idle, it must not.
    if (helper.pending.size === 1) helper.process.channel?.ref();
    const send = (message: object) => {
      if (helper.process.connected) helper.process.send(message);
    };
    send({ op: "spawn", id, ...request });
    return {
      onOutput: (handler) => {
        entry.output = handler;
      },
      pause: () => send({ op: "pause", id }),
      resume: () => send({ op: "resume", id }),
      kill: (signal) => send({ op: "kill", id, signal }),
      ended,
    };
  }

  /** The helper's pid while it runs (for tests and diagnostics). */
  get helperPid(): number | undefined {
    return this.helper?.process.pid;
  }

  close(): void {
    const helper = this.helper;
    this.helper = undefined;
    if (helper?.process.connected) helper.process.disconnect();
  }

  private start(): Helper {
    if (this.helper?.process.connected) return this.helper;
    const child = spawn(process.execPath, ["-e", HELPER_SOURCE], {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      // Buffers cross as bytes, not as JSON arrays of numbers.
      serialization: "advanced",
      // NODE_OPTIONS of the worker (a --require, a --cpu-prof) are not the helper's business.
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    const helper: Helper = { process: child, pending: new Map() };
    child.unref();
    child.channel?.unref();
    child.on("message", (message: HelperMessage) => received(helper, message));
    // The steps this helper was running are lost with it (a new helper serves the next ones). Their
    // processes run in sessions of their own and would outlive it: they are ended here, so a retry
    // never runs beside them.
    const lost = (why: string) => {
      if (this.helper === helper) this.helper = undefined;
      for (const [id, entry] of helper.pending) {
        killGroup(entry.pid, "SIGKILL");
        if (entry.folder)
          rmSync(entry.folder, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
        helper.pending.delete(id);
        entry.resolve({ error: { message: `the step spawner process ${why}` } });
      }
    };
    child.on("exit", (code, signal) => lost(`exited (${signal ?? `code ${code}`})`));
    child.on("error", (error) => lost(`failed: ${error.message}`));
    this.helper = helper;
    return helper;
  }
}

interface Helper {
  process: ChildProcess;
  /** Its steps that have not ended, by id. */
  pending: Map<number, Pending>;
}

function received(helper: Helper, message: HelperMessage): void {
  const entry = helper.pending.get(message.id);
  if (!entry) return;
  if (message.op === "pid") {
    if (message.pid !== undefined) entry.pid = message.pid;
    return;
  }
  if (message.op === "out") {
    const { data } = message;
    entry.output?.(
      message.fd === 1 ? "stdout" : "stderr",
      Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    );
    return;
  }
  helper.pending.delete(message.id);
  if (helper.pending.size === 0) helper.process.channel?.unref();
  entry.resolve(
    message.error
      ? { error: message.error }
      : {
          code: message.code ?? null,
          signal: message.signal ?? null,
          collected: message.collected,
          summary: message.summary,
        },
  );
}
