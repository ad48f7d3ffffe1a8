import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readSync, rmSync, unlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { OUTPUT_NOT_A_FILE } from "../output-file.js";
import type { Stream } from "../types.js";
import { HELPER_SOURCE } from "./helper-source.js";
import { type LauncherChoice, launcherChoice, launcherPython } from "./launcher-choice.js";
import { LAUNCHER_SOURCE } from "./launcher-source.js";
import {
  killGroup,
  type ProcessEnd,
  type SpawnerLike,
  type SpawnRequest,
  type StepProcess,
} from "./step-process.js";

/** An event of a starter (the launcher's protocol, launcher-source.ts). */
type StarterEvent =
  | { op: "ready" }
  | { op: "pid"; pid: number }
  | { op: "end"; code: number | null; signal: NodeJS.Signals | null; collectError?: string }
  | { op: "error"; code: string | null; message: string; prepare?: boolean };

/** What a starter sends as `collectError` when the output file is not a regular file. */
const NOT_A_FILE = "not a regular file";

interface Pending {
  /** The starter that runs it (another one when the launcher could not start: see lost). */
  owner: Starter;
  /** Its spawn message as sent, to send again to the Node helper when the launcher could not start. */
  message: { op: "spawn"; id: number; spare?: unknown };
  output?: (stream: Stream, chunk: Buffer) => void;
  /** The step's folder, which the starter made: removed here when the starter dies before it could. */
  folder?: string;
  /** The step's process (its group's id), once the starter said so. */
  pid?: number;
  /** A signal asked of it, and whether it is paused: asked again of the Node helper along with it. */
  signal?: NodeJS.Signals;
  paused?: boolean;
  /** The heads of its output and summary files, sent before its end. */
  collected?: Buffer;
  summary?: Buffer;
  resolve: (end: ProcessEnd) => void;
}

/**
 * Starts steps through a starter process, so the worker never forks itself: its event loop keeps
 * claiming, finishing and streaming logs while steps start (measured in bench/: throughput, the
 * workers' CPU per run). The starter is the Python step launcher where there is a python3
 * (`launcher`, by default GANTRY_SPAWNER_LAUNCHER: auto, node or python; see launcher-choice.ts), whose
 * vfork costs about 1 ms a step where a Node process's fork costs 3–5 (launcher-source.ts), and the
 * Node helper otherwise (helper-source.ts): both speak the same protocol on stdin and stdout. Started on
 * first use; when it dies, the steps it was running fail (as when a worker loses a step) and the next
 * step starts a new one. In `auto`, a launcher that exits before it said ready (a Python before 3.8)
 * gives its steps, and every later one, to the Node helper.
 */
export class HelperSpawner implements SpawnerLike {
  readonly makesFolders = true;
  private starter: Starter | undefined;
  private nextId = 1;
  private readonly launcher: LauncherChoice;
  /** `auto` and the launcher could not start: the Node helper from then on. */
  private noLauncher = false;

  constructor(options: { launcher?: LauncherChoice } = {}) {
    this.launcher = options.launcher ?? launcherChoice(process.env);
  }

  folderName(root: string): string {
    const starter = this.starter;
    const spare = starter?.spare;
    if (starter && spare && path.dirname(spare.base) === path.dirname(path.join(root, "x"))) {
      starter.spare = undefined;
      starter.taken.add(spare.base);
      return spare.base;
    }
    return freshFolder(root);
  }

  discardFolder(base: string): void {
    const starter = this.starter;
    if (!starter?.taken.delete(base)) return;
    tell(starter, { op: "discard", base });
  }

  spawn(request: SpawnRequest): StepProcess {
    const starter = this.start();
    const id = this.nextId++;
    const { env, ...rest } = request;
    if (request.folder) starter.taken.delete(request.folder.base);
    let spare: { base: string; dirs: string[]; empty: string[] } | undefined;
    if (request.folder && !starter.spare) {
      // The next step's folder, laid out as this one's, made by the starter while this step runs.
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
      starter.spare = { base: next };
    }
    const message = {
      op: "spawn" as const,
      id,
      ...rest,
      ...environment(starter, env),
      ...(spare ? { spare } : {}),
    };
    const entry: Pending = {
      owner: starter,
      message,
      resolve: () => {},
      ...(request.folder ? { folder: request.folder.base } : {}),
    };
    const ended = new Promise<ProcessEnd>((resolve) => {
      entry.resolve = resolve;
    });
    adopt(starter, id, entry);
    tell(starter, message);
    return {
      onOutput: (handler) => {
        entry.output = handler;
      },
      pause: () => {
        entry.paused = true;
        tell(entry.owner, { op: "pause", id });
      },
      resume: () => {
        entry.paused = false;
        tell(entry.owner, { op: "resume", id });
      },
      kill: (signal) => {
        entry.signal = signal;
        tell(entry.owner, { op: "kill", id, signal });
      },
      ended,
    };
  }

  /** The starter's pid while it runs (for tests and diagnostics). */
  get helperPid(): number | undefined {
    return this.starter?.process.pid;
  }

  /** Its pid when the starter is the Python launcher; none with the Node helper. */
  get launcherPid(): number | undefined {
    return this.starter?.python ? this.starter.process.pid : undefined;
  }

  close(): void {
    const starter = this.starter;
    this.starter = undefined;
    if (!starter) return;
    starter.closed = true;
    // Here, before close returns: the starter would remove them too, but later, maybe while the caller
    // removes their parent (rmSync's recursion gives up silently on a child removed beside it).
    removeAhead(starter);
    // Its stdin's end is its worker's: it ends its steps, removes their folders and exits.
    starter.process.stdin?.end();
  }

  private start(): Starter {
    if (this.starter && !this.starter.gone) return this.starter;
    // Looked up at each start (a few file system calls): a python3 installed meanwhile counts.
    const python = this.noLauncher ? undefined : launcherPython(this.launcher, process.env);
    const pidFile = python ? openPidFile() : undefined;
    const extra = pidFile === undefined ? [] : [pidFile];
    const child = python
      ? spawn(
          python.python,
          ["-I", "-S", "-u", "-X", "utf8", "-c", LAUNCHER_SOURCE, ...extra.map(() => "3")],
          {
            // Its stderr is the worker's, where a Python traceback belongs.
            stdio: ["pipe", "pipe", "inherit", ...extra],
          },
        )
      : spawn(process.execPath, [...HELPER_FLAGS, ...helperNodeArgs(process.env), "-e", HELPER_SOURCE], {
          stdio: ["pipe", "pipe", "inherit"],
          // NODE_OPTIONS of the worker (a --require, a --cpu-prof) are not the helper's business.
          env: { ...process.env, NODE_OPTIONS: "" },
        });
    const starter: Starter = {
      process: child,
      python,
      ready: false,
      gone: false,
      closed: false,
      pending: new Map(),
      taken: new Set(),
      ...(pidFile === undefined ? {} : { pidFile }),
    };
    child.unref();
    setActive(starter, false);
    child.stdin?.on("error", () => {});
    child.stdout?.on("data", (chunk: Buffer) => this.frames(starter, chunk));
    // After its last frames were read ("close", not "exit"): the pids and ends it sent count.
    child.on("close", (code, signal) => this.lost(starter, `exited (${signal ?? `code ${code}`})`));
    child.on("error", (error) => this.lost(starter, `failed: ${error.message}`));
    this.starter = starter;
    return starter;
  }

  /**
   * The starter is gone. Its steps fail, unless it was a launcher that never said ready in `auto`
   * (it ran none of them): the Node helper runs them then. Their processes run in sessions of their
   * own and would outlive it: they are ended here, so a retry never runs beside them.
   */
  private lost(starter: Starter, why: string): void {
    if (starter.gone) return;
    starter.gone = true;
    if (this.starter === starter) this.starter = undefined;
    const entries = [...starter.pending];
    starter.pending.clear();
    setActive(starter, false);
    // Folders it made ahead (a name given out may not be spawned yet: a new starter makes it anew).
    removeAhead(starter);
    if (starter.python && !starter.ready && !starter.python.required && !starter.closed) {
      this.noLauncher = true;
      closePidFile(starter);
      if (entries.length === 0) return;
      const next = this.start();
      if (starter.env) {
        next.env = starter.env;
        tell(next, { op: "env", env: starter.env });
      }
      for (const [id, entry] of entries) {
        const { spare: _made, ...message } = entry.message;
        adopt(next, id, entry);
        tell(next, message);
        if (entry.paused) tell(next, { op: "pause", id });
        if (entry.signal) tell(next, { op: "kill", id, signal: entry.signal });
      }
      return;
    }
    const what = starter.python ? "the step launcher process" : "the step spawner process";
    for (const [id, entry] of entries) {
      killGroup(entry.pid ?? pidFromFile(starter, id), "SIGKILL");
      if (entry.folder)
        rmSync(entry.folder, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
      entry.resolve({ error: { message: `${what} ${why}` } });
    }
    closePidFile(starter);
  }

  /** Frames: type (1 stdout, 2 stderr, 3 event, 4 and 5 file heads), step id, length, body. */
  private frames(starter: Starter, chunk: Buffer): void {
    const buf = starter.rest ? Buffer.concat([starter.rest, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= 9) {
      const length = buf.readUInt32BE(at + 5);
      if (buf.length - at - 9 < length) break;
      const type = buf[at];
      const id = buf.readUInt32BE(at + 1);
      const body = buf.subarray(at + 9, at + 9 + length);
      at += 9 + length;
      if (type === 3) {
        let event: StarterEvent;
        try {
          event = JSON.parse(body.toString("utf8")) as StarterEvent;
        } catch {
          // Not its protocol: what else it says cannot be trusted either. Its end fails its steps.
          starter.process.kill("SIGKILL");
          return;
        }
        received(starter, id, event);
        continue;
      }
      const entry = starter.pending.get(id);
      if (!entry) continue;
      if (type === 1 || type === 2) entry.output?.(type === 1 ? "stdout" : "stderr", body);
      else if (type === 4) entry.collected = body;
      else if (type === 5) entry.summary = body;
    }
    starter.rest = at < buf.length ? buf.subarray(at) : undefined;
  }
}

interface Starter {
  process: ChildProcess;
  /** The Python launcher's interpreter; none: the Node helper. */
  python: { python: string; required: boolean } | undefined;
  /** It said ready: it started, and may have started steps. */
  ready: boolean;
  gone: boolean;
  /** Closed by close(): its end is not a failure to start. */
  closed: boolean;
  /** Its steps that have not ended, by id. */
  pending: Map<number, Pending>;
  /** The environment it holds as the base of each spawn's (sent once). */
  env?: Record<string, string>;
  /** The folder it was asked to make ahead for the next step, not given out yet. */
  spare?: { base: string } | undefined;
  /** Folders given out by folderName (made ahead) and not spawned or discarded yet. */
  taken: Set<string>;
  /** The launcher's pid file (see launcher-source.ts), open here. */
  pidFile?: number;
  /** The start of a frame not whole yet. */
  rest?: Buffer | undefined;
}

function tell(starter: Starter, message: object): void {
  const stdin = starter.process.stdin;
  if (!starter.gone && stdin?.writable) stdin.write(`${JSON.stringify(message)}\n`);
}

function adopt(starter: Starter, id: number, entry: Pending): void {
  entry.owner = starter;
  starter.pending.set(id, entry);
  // While steps run, its pipes keep this process alive; idle, they must not.
  if (starter.pending.size === 1) setActive(starter, true);
}

function setActive(starter: Starter, active: boolean): void {
  for (const stream of [starter.process.stdin, starter.process.stdout]) {
    const handle = stream as { ref?: () => void; unref?: () => void } | null;
    if (active) handle?.ref?.();
    else handle?.unref?.();
  }
}

function received(starter: Starter, id: number, event: StarterEvent): void {
  if (event.op === "ready") {
    starter.ready = true;
    return;
  }
  const entry = starter.pending.get(id);
  if (!entry) return;
  if (event.op === "pid") {
    entry.pid = event.pid;
    return;
  }
  starter.pending.delete(id);
  if (starter.pending.size === 0) setActive(starter, false);
  if (event.op === "error") {
    entry.resolve({
      error: {
        ...(event.code ? { code: event.code } : {}),
        message: event.message,
        ...(event.prepare ? { prepare: true } : {}),
      },
    });
    return;
  }
  const { collectError } = event;
  entry.resolve({
    code: event.code,
    signal: event.signal,
    collected:
      entry.folder !== undefined && collectError === undefined
        ? (entry.collected?.toString("utf8") ?? "")
        : undefined,
    collectError: collectError === NOT_A_FILE ? OUTPUT_NOT_A_FILE : collectError,
    summary: entry.summary?.toString("utf8"),
  });
}

/**
 * What the spawn message says of the step's environment: the whole of it the first time, as the
 * starter's base; then only the variables that differ from that base (a step's own and its files).
 */
function environment(
  starter: Starter,
  env: Record<string, string>,
): { envSet: Record<string, string>; envUnset: string[] } {
  if (!starter.env) {
    starter.env = env;
    tell(starter, { op: "env", env });
    return { envSet: {}, envUnset: [] };
  }
  const base = starter.env;
  const envSet: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (base[name] !== value) envSet[name] = value;
  const envUnset = Object.keys(base).filter((name) => !Object.hasOwn(env, name));
  return { envSet, envUnset };
}

/** Removes the folders a starter made ahead that no step has (see HelperSpawner.folderName). */
function removeAhead(starter: Starter): void {
  for (const base of [...(starter.spare ? [starter.spare.base] : []), ...starter.taken])
    rmSync(base, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  starter.spare = undefined;
  starter.taken.clear();
}

// The launcher's pid file: unlinked at once, so that nothing is left of it, whoever exits first.
let pidFiles = 0;
function openPidFile(): number | undefined {
  const file = path.join(os.tmpdir(), `gantry-launcher-pids-${process.pid}-${++pidFiles}`);
  try {
    const fd = openSync(file, "wx+", 0o600);
    try {
      unlinkSync(file);
    } catch {
      // Left behind: named after this process, harmless.
    }
    return fd;
  } catch {
    return undefined;
  }
}

function closePidFile(starter: Starter): void {
  if (starter.pidFile === undefined) return;
  try {
    closeSync(starter.pidFile);
  } catch {
    // Closed already.
  }
  delete starter.pidFile;
}

/** The pid of a launcher's step that it has not sent (see launcher-source.ts: its pid file). */
function pidFromFile(starter: Starter, id: number): number | undefined {
  if (starter.pidFile === undefined) return undefined;
  const record = Buffer.alloc(8);
  try {
    if (readSync(starter.pidFile, record, 0, 8, (id % 65536) * 8) !== 8) return undefined;
  } catch {
    return undefined;
  }
  return record.readUInt32BE(0) === id ? record.readUInt32BE(4) : undefined;
}

/**
 * Each step's start forks the Node helper, and a fork costs it in proportion to the memory it has
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
