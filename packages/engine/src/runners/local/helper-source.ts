import { OUTPUT_NOT_A_FILE } from "../output-file.js";

/**
 * The helper: a small Node process (about 40 MB, no modules of its own) that starts steps when asked
 * over its IPC channel and sends their output and exit back. It also makes and removes their folders,
 * with synchronous calls: a dozen small file operations a step that would each cost the worker a trip
 * through libuv's thread pool (about 1 ms a step together, measured on this machine). The next step's
 * folder is made ahead, while a step runs (`spare`), off the path from one step's exit to the next
 * one's start. A step's folder is removed before its end is sent: after it, the removal could race
 * with a caller removing their parent. The environment's common part comes once (`env`); each spawn
 * sends only what differs from it. Plain CommonJS in a string, run with `node -e`, so it needs no file
 * of its own beside the compiled code (nor a build step in tests).
 *
 * Who starts a step's process: the step launcher, a Python process the helper starts when the worker's
 * first message (`launcher`) names an interpreter (see launcher-source.ts: Node forks the whole helper
 * for each start, Python does not); the helper itself otherwise, and from the moment a launcher could
 * not start (it exited before `ready`), unless the worker said it is `required` (then those steps fail).
 * A launcher that dies after it started takes its steps with it (they fail, their groups are killed)
 * and the next step starts a new one, as the worker does with a helper.
 *
 * When its channel closes (the worker exited, however: SIGKILL and OOM included) or its parent changes
 * (the channel missed it), it ends every step's process group, SIGTERM and SIGKILL half a second later,
 * removes their folders and exits: no step outlives its worker, the try that runs again elsewhere never
 * overlaps it, and no step folder is left behind. Its launcher's stdin ends with it, and the launcher
 * does the same to the steps it started.
 */
export const HELPER_SOURCE = `"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const NOT_A_FILE = "not a regular file";
const OUTPUT_NOT_A_FILE = ${JSON.stringify(OUTPUT_NOT_A_FILE)};
// Running steps by id: their group's pid once known, and how to kill, pause and resume them.
const children = new Map();
const folders = new Map();
// Folders made ahead for coming steps: base -> the folders and empty files made in it.
const premade = new Map();
// Its direct children only, never a missing parent: a root removed meanwhile stays removed.
const makeSpare = (spare) => {
  try {
    fs.mkdirSync(spare.base);
    for (const dir of spare.dirs) fs.mkdirSync(dir);
    for (const file of spare.empty) fs.writeFileSync(file, "");
    premade.set(spare.base, new Set([...spare.dirs, ...spare.empty]));
  } catch { remove(spare.base); }
};
let baseEnv = {};
// Retries: a step's processes killed a moment ago may still be writing in the folder (ENOTEMPTY).
const remove = (dir) => { try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }); } catch {} };
// A step's folder as it was made (the files and folders made in it, last made first): a call each,
// where rmSync's walk costs about three times as many (each folder opened, listed and stat'ed).
// Anything else in it (what the step left, a file it replaced) sends it to rmSync. What was made
// outside it (a working folder in the job's workspace) is not touched, as rmSync would not. Its base is
// checked not to be a symbolic link first, as rmSync does: the names below it would resolve elsewhere.
const removeFolder = (folder) => {
  const inside = folder.base + path.sep;
  try {
    if (!fs.lstatSync(folder.base).isDirectory()) throw new Error("not a folder");
    for (const [file] of folder.files) if (file.startsWith(inside)) fs.unlinkSync(file);
    for (let i = folder.dirs.length - 1; i >= 0; i--) if (folder.dirs[i].startsWith(inside)) fs.rmdirSync(folder.dirs[i]);
    fs.rmdirSync(folder.base);
  } catch { remove(folder.base); }
};
// At most limit bytes of a regular file, opened without blocking: a step may have put a FIFO in its
// place, which would stall this process and every later step. Sized to the file, not the limit: a
// megabyte zeroed for each step was most of this process's work. Most steps write no output nor
// summary: a stat tells an empty file (or a missing one, or something else) in one call, not three.
const head = (file, limit) => {
  const info = fs.statSync(file, { throwIfNoEntry: false });
  if (info === undefined) return undefined;
  if (!info.isFile()) throw new Error(NOT_A_FILE);
  if (info.size === 0) return undefined;
  let fd;
  try { fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK); }
  catch (error) { if (error.code === "ENOENT") return undefined; throw error; }
  try {
    const info = fs.fstatSync(fd);
    if (!info.isFile()) throw new Error(NOT_A_FILE);
    const size = Math.min(info.size, limit);
    if (size === 0) return undefined;
    const b = Buffer.alloc(size); const n = fs.readSync(fd, b, 0, size, 0); return n > 0 ? b.subarray(0, n).toString("utf8") : undefined;
  }
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
  if (launcher) {
    tell(launcher, { op: "stop" });
    launcher.process.stdin.end();
  }
  setTimeout(() => {
    for (const c of children.values()) killGroup(c.pid, "SIGKILL");
    for (const dir of folders.values()) remove(dir);
    for (const dir of premade.keys()) remove(dir);
    process.exit(0);
  }, children.size > 0 ? 500 : 0);
};
process.on("disconnect", orphan);
process.on("error", orphan);
setInterval(() => { if (process.ppid !== parent) orphan(); }, 250).unref();

// Starts a step from this process (a fork of it, by libuv).
const fork = (r, step, end) => {
  let c;
  try {
    c = spawn(r.program, r.args, { cwd: r.cwd, env: r.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    return end({ op: "end", id: r.id, error: { code: error.code, message: error.message } });
  }
  step.pid = c.pid;
  step.kill = (signal) => killGroup(c.pid, signal);
  step.pause = () => { c.stdout.pause(); c.stderr.pause(); };
  step.resume = () => { c.stdout.resume(); c.stderr.resume(); };
  send({ op: "pid", id: r.id, pid: c.pid });
  // Asked of it while a launcher that then could not start had it.
  if (step.signal) step.kill(step.signal);
  if (step.paused) step.pause();
  c.stdout.on("data", (data) => send({ op: "out", id: r.id, fd: 1, data }));
  c.stderr.on("data", (data) => send({ op: "out", id: r.id, fd: 2, data }));
  c.on("exit", () => killGroup(c.pid, "SIGKILL"));
  c.on("error", (error) => end({ op: "end", id: r.id, error: { code: error.code, message: error.message } }));
  c.on("close", (code, signal) => end({ op: "end", id: r.id, code, signal }));
};

// The launcher's interpreter and source ({ python, source, required }), from the worker; unset: fork.
let launchWith;
// The running launcher: its process, whether it said ready, its steps by id, a frame's start.
let launcher;
const tell = (l, message) => { if (l.process.stdin.writable) l.process.stdin.write(JSON.stringify(message) + "\\n"); };
const launch = (r, step, end) => {
  const l = launcher ?? startLauncher();
  l.steps.set(r.id, { request: r, step, end });
  step.kill = (signal) => { step.signal = signal; tell(l, { op: "kill", id: r.id, signal }); };
  step.pause = () => { step.paused = true; tell(l, { op: "pause", id: r.id }); };
  step.resume = () => { step.paused = false; tell(l, { op: "resume", id: r.id }); };
  // What differs from the common environment, which the launcher holds (sent once, as by the worker).
  const { env, envDiff, ...rest } = r;
  tell(l, { op: "spawn", ...rest, ...(envDiff ?? { env }) });
};
// Frames: type (1 stdout, 2 stderr, 3 event), step id, length, body (see launcher-source.ts). A
// step's pid goes to the worker after the chunk's other frames, and not at all when its end came in
// the same chunk (a short step's usually do): the worker needs it only to end a step still running.
const frames = (l, chunk) => {
  const buf = l.rest ? Buffer.concat([l.rest, chunk]) : chunk;
  let pids;
  let at = 0;
  while (buf.length - at >= 9) {
    const length = buf.readUInt32BE(at + 5);
    if (buf.length - at - 9 < length) break;
    const type = buf[at];
    const id = buf.readUInt32BE(at + 1);
    const body = buf.subarray(at + 9, at + 9 + length);
    at += 9 + length;
    if (type !== 3) { send({ op: "out", id, fd: type, data: body }); continue; }
    l.ready = true;
    const e = JSON.parse(body.toString("utf8"));
    const entry = l.steps.get(id);
    if (!entry) continue;
    if (e.op === "pid") { entry.step.pid = e.pid; (pids ??= new Map()).set(id, e.pid); continue; }
    pids?.delete(id);
    l.steps.delete(id);
    if (e.op === "end") entry.end({ op: "end", id, code: e.code, signal: e.signal });
    else entry.end({ op: "end", id, error: { code: e.code ?? undefined, message: e.message } });
  }
  l.rest = at < buf.length ? buf.subarray(at) : undefined;
  if (pids) for (const [id, pid] of pids) send({ op: "pid", id, pid });
};
// The pid of a launcher's step that it has not sent (see launcher-source.ts: its pid file).
const pidFromFile = (l, id) => {
  if (l.pidFile === undefined) return undefined;
  const record = Buffer.alloc(8);
  try {
    if (fs.readSync(l.pidFile, record, 0, 8, (id % 65536) * 8) !== 8) return undefined;
  } catch { return undefined; }
  return record.readUInt32BE(0) === id ? record.readUInt32BE(4) : undefined;
};
// The launcher's pid file: unlinked at once, so that nothing is left of it, whoever exits first.
let pidFiles = 0;
const openPidFile = () => {
  const file = path.join(os.tmpdir(), "gantry-launcher-pids-" + process.pid + "-" + ++pidFiles);
  try {
    const fd = fs.openSync(file, "wx+", 0o600);
    try { fs.unlinkSync(file); } catch {}
    return fd;
  } catch { return undefined; }
};
const startLauncher = () => {
  const l = { process: undefined, ready: false, steps: new Map(), rest: undefined, pidFile: openPidFile() };
  launcher = l;
  let gone = false;
  const lost = (why) => {
    if (gone) return;
    gone = true;
    if (launcher === l) launcher = undefined;
    const entries = [...l.steps.values()];
    l.steps.clear();
    for (const e of entries) if (e.step.pid === undefined) e.step.pid = pidFromFile(l, e.request.id);
    if (l.pidFile !== undefined) try { fs.closeSync(l.pidFile); } catch {}
    if (!l.ready && !launchWith.required) {
      // No Python that runs it: this helper starts its steps itself from now on.
      launchWith = undefined;
      send({ op: "launcher", pid: undefined });
      for (const e of entries) fork(e.request, e.step, e.end);
      return;
    }
    // Its steps run in sessions of their own and would outlive it: a retry must never run beside them.
    for (const e of entries) {
      killGroup(e.step.pid, "SIGKILL");
      e.end({ op: "end", id: e.request.id, error: { message: "the step launcher process " + why } });
    }
  };
  try {
    // Its stderr is the worker's, where a Python traceback belongs.
    const pidArgs = l.pidFile === undefined ? [] : ["3"];
    l.process = spawn(launchWith.python, ["-I", "-S", "-u", "-X", "utf8", "-c", launchWith.source, ...pidArgs], {
      stdio: ["pipe", "pipe", "inherit", ...(l.pidFile === undefined ? [] : [l.pidFile])],
    });
  } catch (error) {
    l.process = { stdin: { writable: false, end: () => {} } };
    setImmediate(() => lost("failed: " + error.message));
    return l;
  }
  l.process.stdin.on("error", () => {});
  tell(l, { op: "env", env: baseEnv });
  l.process.stdout.on("data", (chunk) => frames(l, chunk));
  l.process.on("error", (error) => lost("failed: " + error.message));
  l.process.on("close", (code, signal) => lost("exited (" + (signal ?? "code " + code) + ")"));
  if (l.process.pid !== undefined) send({ op: "launcher", pid: l.process.pid });
  return l;
};

process.on("message", (m) => {
  if (m.op === "launcher") return void ((launchWith = m), startLauncher());
  const child = children.get(m.id);
  if (m.op === "kill") return child && child.kill(m.signal);
  if (m.op === "pause") return child && child.pause();
  if (m.op === "resume") return child && child.resume();
  if (m.op === "env") {
    baseEnv = m.env;
    if (launcher) tell(launcher, { op: "env", env: baseEnv });
    return;
  }
  if (m.op === "discard") return void (premade.delete(m.base) && remove(m.base));
  if (m.op !== "spawn") return;
  const folder = m.folder;
  if (folder) {
    folders.set(m.id, folder.base);
    const made = premade.get(folder.base);
    premade.delete(folder.base);
    try {
      if (!made) fs.mkdirSync(folder.base);
      for (const dir of folder.dirs) if (!(made && made.has(dir))) fs.mkdirSync(dir, { recursive: true });
      for (const [file, text] of folder.files) if (!(text === "" && made && made.has(file))) fs.writeFileSync(file, text);
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
      if (!message.error) {
        try { message.collected = head(folder.collect.path, folder.collect.limit) ?? ""; }
        catch (error) { message.collectError = error.message === NOT_A_FILE ? OUTPUT_NOT_A_FILE : error.message; }
      }
      if (!message.error && folder.summary) try { message.summary = head(folder.summary.path, folder.summary.limit); } catch {}
      removeFolder(folder);
    }
    send(message);
  };
  let env = m.env;
  if (!env) {
    env = { ...baseEnv, ...m.envSet };
    for (const name of m.envUnset) delete env[name];
  }
  const step = { pid: undefined, signal: undefined, paused: false };
  children.set(m.id, step);
  // The whole environment (a fork, or a launcher given none) and what differs from the common part.
  const envDiff = m.env ? undefined : { envSet: m.envSet, envUnset: m.envUnset };
  const request = { id: m.id, program: m.program, args: m.args, cwd: m.cwd, env, envDiff };
  if (launchWith) launch(request, step, end);
  else fork(request, step, end);
  // The next step's folder, made while this one starts and runs.
  if (m.spare) makeSpare(m.spare);
});
`;
