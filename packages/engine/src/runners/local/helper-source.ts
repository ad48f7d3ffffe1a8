/**
 * The Node helper: where the worker has no Python step launcher (launcher-source.ts: not Linux, no
 * python3 3.8 or later, or GANTRY_SPAWNER_LAUNCHER=node), a small Node process (about 40 MB, no modules
 * of its own) that starts steps for it by forking itself (libuv's fork + exec, cheap for a process this
 * small, where a fork of the worker would block its event loop). It speaks the launcher's protocol, on
 * stdin and stdout, and does what the launcher does (see there): makes and removes the step folders, reads
 * back the heads of their output and summary files, and when its stdin ends or its parent changes, ends
 * every step's process group (SIGTERM, SIGKILL half a second later), removes their folders and exits.
 * Unlike the launcher, it sends each step's pid at once (a fork gives it before the start returns). Plain
 * CommonJS in a string, run with `node -e`, so it needs no file of its own beside the compiled code.
 */
export const HELPER_SOURCE = `"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const NOT_A_FILE = "not a regular file";
// Running steps by id: their group's pid, how to kill, pause and resume them, and their folder.
const children = new Map();
// Folders made ahead for coming steps: base -> the folders and empty files made in it.
const premade = new Map();
let baseEnv = {};
const frame = (type, id, body) => {
  const header = Buffer.alloc(9);
  header[0] = type; header.writeUInt32BE(id, 1); header.writeUInt32BE(body.length, 5);
  process.stdout.write(Buffer.concat([header, body]));
};
const event = (id, fields) => frame(3, id, Buffer.from(JSON.stringify(fields)));
// Retries: a step's processes killed a moment ago may still be writing in the folder (ENOTEMPTY).
const remove = (dir) => { try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }); } catch {} };
const makeSpare = (spare) => {
  try {
    fs.mkdirSync(spare.base);
    for (const dir of spare.dirs) fs.mkdirSync(dir);
    for (const file of spare.empty) fs.writeFileSync(file, "");
    premade.set(spare.base, new Set([...spare.dirs, ...spare.empty]));
  } catch { remove(spare.base); }
};
const makeFolder = (folder) => {
  const made = premade.get(folder.base);
  premade.delete(folder.base);
  if (!made) fs.mkdirSync(folder.base);
  for (const dir of folder.dirs) if (!(made && made.has(dir))) fs.mkdirSync(dir, { recursive: true });
  for (const [file, text] of folder.files) if (!(text === "" && made && made.has(file))) fs.writeFileSync(file, text);
};
// As the launcher's remove_folder: the calls that made it, else a walk; never through a symbolic link.
const removeFolder = (folder) => {
  const inside = folder.base + path.sep;
  try {
    if (!fs.lstatSync(folder.base).isDirectory()) throw new Error("not a folder");
    for (const [file] of folder.files) if (file.startsWith(inside)) fs.unlinkSync(file);
    for (let i = folder.dirs.length - 1; i >= 0; i--) if (folder.dirs[i].startsWith(inside)) fs.rmdirSync(folder.dirs[i]);
    fs.rmdirSync(folder.base);
  } catch { remove(folder.base); }
};
// As the launcher's head: at most limit bytes of a regular file, opened without blocking.
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
    const b = Buffer.alloc(size); const n = fs.readSync(fd, b, 0, size, 0); return n > 0 ? b.subarray(0, n) : undefined;
  }
  finally { fs.closeSync(fd); }
};
const killGroup = (pid, signal) => { if (pid === undefined) return; try { process.kill(-pid, signal); } catch {} };
const parent = process.ppid;
let orphaned = false;
const orphan = () => {
  if (orphaned) return;
  orphaned = true;
  for (const c of children.values()) killGroup(c.pid, "SIGTERM");
  setTimeout(() => {
    for (const c of children.values()) { killGroup(c.pid, "SIGKILL"); if (c.folder) remove(c.folder.base); }
    for (const dir of premade.keys()) remove(dir);
    process.exit(0);
  }, children.size > 0 ? 500 : 0);
};
// A write to a worker that just died fails (EPIPE): that is the orphaning, not a crash of the helper.
process.stdout.on("error", orphan);
setInterval(() => { if (process.ppid !== parent) orphan(); }, 250).unref();

const end = (id, step, fields) => {
  if (step.done) return;
  step.done = true;
  children.delete(id);
  const folder = step.folder;
  if (folder) {
    if (fields.op === "end") {
      try { const data = head(folder.collect.path, folder.collect.limit); if (data) frame(4, id, data); }
      catch (error) { fields.collectError = error.message; }
      if (folder.summary) try { const data = head(folder.summary.path, folder.summary.limit); if (data) frame(5, id, data); } catch {}
    }
    removeFolder(folder);
  }
  event(id, fields);
};

const start = (m) => {
  const folder = m.folder;
  if (folder) {
    try { makeFolder(folder); }
    catch (error) {
      remove(folder.base);
      return event(m.id, { op: "error", code: null, message: error.message, prepare: true });
    }
  }
  let env = m.env;
  if (!env) {
    env = { ...baseEnv, ...m.envSet };
    for (const name of m.envUnset) delete env[name];
  }
  const step = { pid: undefined, folder, done: false, kill: () => {}, pause: () => {}, resume: () => {} };
  let c;
  try {
    c = spawn(m.program, m.args, { cwd: m.cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    return end(m.id, step, { op: "error", code: error.code ?? null, message: error.message });
  }
  children.set(m.id, step);
  step.pid = c.pid;
  step.kill = (signal) => killGroup(c.pid, signal);
  step.pause = () => { c.stdout.pause(); c.stderr.pause(); };
  step.resume = () => { c.stdout.resume(); c.stderr.resume(); };
  if (c.pid !== undefined) event(m.id, { op: "pid", pid: c.pid });
  c.stdout.on("data", (data) => frame(1, m.id, data));
  c.stderr.on("data", (data) => frame(2, m.id, data));
  c.on("exit", () => killGroup(c.pid, "SIGKILL"));
  c.on("error", (error) => end(m.id, step, { op: "error", code: error.code ?? null, message: error.message }));
  c.on("close", (code, signal) => end(m.id, step, { op: "end", code, signal }));
};

const request = (m) => {
  if (m.op === "spawn") {
    start(m);
    if (m.spare) makeSpare(m.spare);
    return;
  }
  if (m.op === "env") return void (baseEnv = m.env);
  if (m.op === "discard") return void (premade.delete(m.base) && remove(m.base));
  const child = children.get(m.id);
  if (!child) return;
  if (m.op === "kill") child.kill(m.signal);
  else if (m.op === "pause") child.pause();
  else if (m.op === "resume") child.resume();
};

let pending = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (data) => {
  const lines = (pending + data).split("\\n");
  pending = lines.pop();
  for (const line of lines) request(JSON.parse(line));
});
process.stdin.on("end", orphan);
process.stdin.on("error", orphan);
event(0, { op: "ready" });
`;
