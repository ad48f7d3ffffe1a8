import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import path from "node:path";
import type { Stream } from "../types.js";
import { HELPER_SOURCE } from "./helper-source.js";
import { type LauncherChoice, launcherChoice, launcherPython } from "./launcher-choice.js";
import { LAUNCHER_SOURCE } from "./launcher-source.js";

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
      /** Why `collect` could not be read (the step replaced it with something that is not a file). */
      collectError?: string | undefined;
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
  /** The step's output file, read back (at most `limit` bytes) after the process ended. */
  collect: { path: string; limit: number };
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
  /**
   * A spawner that makes folders: the `base` for the next step's folder under `root`, a fresh name
   * (96 random bits) that may have been made ahead. Spawn it, or give it back with `discardFolder`.
   */
  folderName?(root: string): string;
  /** A name from `folderName` that will not be spawned (the step ended before it started). */
  discardFolder?(base: string): void;
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

type HelperMessage =
  | { op: "out"; id: number; fd: 1 | 2; data: Uint8Array }
  | { op: "pid"; id: number; pid: number | undefined }
  /** The helper started a step launcher (its pid), or starts steps itself from now on (none). */
  | { op: "launcher"; id?: undefined; pid: number | undefined }
  | {
      op: "end";
      id: number;
      code?: number | null;
      signal?: NodeJS.Signals | null;
      collected?: string;
      collectError?: string;
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
 * workers' CPU per run). Started on first use; when it dies, the steps it was running fail (as when a
 * worker loses a step) and the next step starts a new one.
 * The helper in turn has the step launcher, a Python process, start the steps' processes, where there
 * is a python3 (`launcher`, by default GANTRY_SPAWNER_LAUNCHER: auto, node or python; see
 * launcher-choice.ts): a Node process forks itself whole for each, 3–4.5 ms of the helper's CPU a
 * step, where the launcher's vfork costs about 1 ms (launcher-source.ts). Otherwise the helper forks.
 */
export class HelperSpawner implements SpawnerLike {
  readonly makesFolders = true;
  private helper: Helper | undefined;
  private nextId = 1;
  private readonly launcher: LauncherChoice;

  constructor(options: { launcher?: LauncherChoice } = {}) {
    this.launcher = options.launcher ?? launcherChoice(process.env);
  }

  folderName(root: string): string {
    const helper = this.helper?.process.connected ? this.helper : undefined;
    const spare = helper?.spare;
    if (helper && spare && path.dirname(spare.base) === path.dirname(path.join(root, "x"))) {
      helper.spare = undefined;
      helper.taken.add(spare.base);
      return spare.base;
    }
    return freshFolder(root);
  }

  discardFolder(base: string): void {
    const helper = this.helper;
    if (!helper?.taken.delete(base)) return;
    if (helper.process.connected) helper.process.send({ op: "discard", base });
  }

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
    const { env, ...rest } = request;
    if (request.folder) helper.taken.delete(request.folder.base);
    let spare: { base: string; dirs: string[]; empty: string[] } | undefined;
    if (request.folder && !helper.spare) {
      // The next step's folder, laid out as this one's, made by the helper while this step runs.
      const { base, dirs, files } = request.folder;
      // Its direct children only: a step's working_directory below them is its own, not the next one's.
      const inside = (file: string) => path.dirname(file) === base;
      const next = freshFolder(path.dirname(base));
      spare = {
        base: next,
        dirs: dirs.filter(inside).map((dir) => path.join(next, path.basename(dir))),
        empty: files
          .filter(([file, text]) => text === "" && inside(file))
          .map(([file]) => path.join(next, path.basename(file))),
      };
      helper.spare = { base: next };
    }
    send({ op: "spawn", id, ...rest, ...this.environment(helper, env), ...(spare ? { spare } : {}) });
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

  /**
   * What the spawn message says of the step's environment: the whole of it the first time, as the
   * helper's base; then only the variables that differ from that base (a step's own and its files).
   */
  private environment(
    helper: Helper,
    env: Record<string, string>,
  ): { envSet: Record<string, string>; envUnset: string[] } {
    if (!helper.env) {
      helper.env = env;
      if (helper.process.connected) helper.process.send({ op: "env", env });
      return { envSet: {}, envUnset: [] };
    }
    const base = helper.env;
    const envSet: Record<string, string> = {};
    for (const [name, value] of Object.entries(env)) if (base[name] !== value) envSet[name] = value;
    const envUnset = Object.keys(base).filter((name) => !Object.hasOwn(env, name));
    return { envSet, envUnset };
  }

  /** The helper's pid while it runs (for tests and diagnostics). */
  get helperPid(): number | undefined {
    return this.helper?.process.pid;
  }

  /** The pid of the helper's step launcher, once it said so; none while it starts steps itself. */
  get launcherPid(): number | undefined {
    return this.helper?.launcherPid;
  }

  close(): void {
    const helper = this.helper;
    this.helper = undefined;
    if (!helper) return;
    // Here, before close returns: the helper would remove them too, but later, maybe while the caller
    // removes their parent (rmSync's recursion gives up silently on a child removed beside it).
    removeAhead(helper);
    if (helper.process.connected) helper.process.disconnect();
  }

  private start(): Helper {
    if (this.helper?.process.connected) return this.helper;
    const child = spawn(
      process.execPath,
      [...HELPER_FLAGS, ...helperNodeArgs(process.env), "-e", HELPER_SOURCE],
      {
        stdio: ["ignore", "ignore", "inherit", "ipc"],
        // Buffers cross as bytes, not as JSON arrays of numbers.
        serialization: "advanced",
        // NODE_OPTIONS of the worker (a --require, a --cpu-prof) are not the helper's business.
        env: { ...process.env, NODE_OPTIONS: "" },
      },
    );
    const helper: Helper = { process: child, pending: new Map(), taken: new Set() };
    child.unref();
    child.channel?.unref();
    child.on("message", (message: HelperMessage) => received(helper, message));
    // Looked up at each helper's start (a few file system calls): a python3 installed meanwhile counts.
    const python = launcherPython(this.launcher, process.env);
    if (python) child.send({ op: "launcher", ...python, source: LAUNCHER_SOURCE });
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
      // Folders it made ahead (a name given out may not be spawned yet: a new helper makes it anew).
      removeAhead(helper);
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
  /** The environment it holds as the base of each spawn's (sent once). */
  env?: Record<string, string>;
  /** The folder it was asked to make ahead for the next step, not given out yet. */
  spare?: { base: string };
  /** Folders given out by folderName (made ahead) and not spawned or discarded yet. */
  taken: Set<string>;
  /** Its step launcher's pid, while it has one. */
  launcherPid?: number | undefined;
}

/** Removes the folders a helper made ahead that no step has (see HelperSpawner.folderName). */
function removeAhead(helper: Helper): void {
  for (const base of [...(helper.spare ? [helper.spare.base] : []), ...helper.taken])
    rmSync(base, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  helper.spare = undefined;
  helper.taken.clear();
}

/**
 * Each step's start forks the helper, and a fork costs the helper in proportion to the memory it has
 * mapped (page tables copied, pages faulted back after): a young generation of 1 MB and no V8 worker
 * threads keep it small (a fifth less of its CPU a step, step folders on a tmpfs, measured on a 2-core
 * machine). The helper's JavaScript is a few small functions a step; it needs neither.
 */
const HELPER_FLAGS = ["--max-semi-space-size=1", "--single-threaded"];

/**
 * Node flags for the helper, space-separated, from GANTRY_SPAWNER_NODE_ARGS (say `--cpu-prof
 * --cpu-prof-dir=/tmp/prof` to profile it): the worker's own flags and NODE_OPTIONS do not reach it.
 */
export function helperNodeArgs(env: NodeJS.ProcessEnv): string[] {
  return (env.GANTRY_SPAWNER_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
}

function freshFolder(root: string): string {
  return path.join(root, `gantry-step-${randomBytes(12).toString("hex")}`);
}

function received(helper: Helper, message: HelperMessage): void {
  if (message.op === "launcher") {
    helper.launcherPid = message.pid;
    return;
  }
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
          collectError: message.collectError,
          summary: message.summary,
        },
  );
}
