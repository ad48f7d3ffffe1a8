// Clock and process helpers shared by every workload. Times come from the monotonic hrtime clock,
// never Date.now(), so an NTP step during a long run cannot bend a sample.
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Seconds elapsed since `start` (a value of `process.hrtime.bigint()`). */
export function secondsSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The median of a non-empty list; the mean of the two middle values when the count is even. */
export function median(values) {
  if (values.length === 0) throw new Error("median of an empty list");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Clock ticks per second for /proc's CPU times; 100 on every mainstream Linux. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU seconds (user + system) of this process's finished, reaped children and their reaped descendants,
 * from /proc/self/stat (cutime, cstime); null where there is no /proc. Wall time on a shared machine
 * swings with its load; CPU time barely does, so it shows what gantry itself costs.
 */
export function childCpuSeconds() {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // Fields after the command's closing parenthesis start at field 3 (state); cutime and cstime are 16, 17.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/**
 * Starts `program args` and resolves when it has exited and closed its output, with the wall time from
 * just before spawn to that moment. Output is collected in memory (the workloads print little), so both
 * sides of a comparison pay the same for a pipe. `cpuSeconds` is the CPU time of the whole process tree.
 */
export function timeProcess(program, args, options = {}) {
  return new Promise((resolve, reject) => {
    const stdout = [];
    const stderr = [];
    const cpuBefore = childCpuSeconds();
    const start = process.hrtime.bigint();
    const child = spawn(program, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (chunk) => stdout.push(chunk));
    child.stderr.on("data", (chunk) => stderr.push(chunk));
    child.on("error", (error) => reject(new Error(`cannot start ${program}: ${error.message}`)));
    child.on("close", (code, signal) => {
      const seconds = secondsSince(start);
      const cpuAfter = childCpuSeconds();
      resolve({
        seconds,
        // Exact only while one child runs at a time, which is how the bench runs them.
        cpuSeconds: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
        code,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      });
    });
  });
}

/** The nearest-rank percentile (`p` in 0..100) of a non-empty list: a value that was measured. */
export function percentile(values, p) {
  if (values.length === 0) throw new Error("percentile of an empty list");
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

/**
 * CPU seconds of a running process, `self` (utime + stime of /proc/PID/stat) and `children` (cutime +
 * cstime: the children it has reaped, for a gantry worker the steps it ran). Null without /proc or once
 * the process is gone.
 */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return {
      self: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
      children: (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS,
    };
  } catch {
    return null;
  }
}

/**
 * Resolves once each of `pids` has used under `share` of a CPU over `windowMs` (or after `timeoutMs`),
 * with the seconds waited: work left from before (a finished step's log being archived) must not be
 * counted in the next measurement.
 */
export async function settled(pids, { share = 0.05, windowMs = 500, timeoutMs = 60_000 } = {}) {
  const start = performance.now();
  const cpu = () => pids.reduce((sum, pid) => sum + (processCpuSeconds(pid)?.self ?? 0), 0);
  for (;;) {
    const before = cpu();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const used = cpu() - before;
    if (used < (share * windowMs * pids.length) / 1000 || performance.now() - start > timeoutMs)
      return (performance.now() - start) / 1000;
  }
}

/**
 * CPU seconds of the step starters of the worker `pid` (its live children: its Python step launcher
 * or Node helper) and of a launcher a helper may have (a build before the worker started the
 * launcher itself; told from a running step by the marker that starts its command line): `self` is
 * their own, `children` what they reaped: the steps they started (with whatever those reaped). A step
 * still running counts once it ended, in its parent's `children`. Zero without /proc.
 */
export function childProcessesCpuSeconds(pid) {
  let self = 0;
  let children = 0;
  const table = processTable();
  const helpers = new Set();
  for (const p of table) {
    if (p.ppid !== pid) continue;
    helpers.add(p.pid);
    self += p.self;
    children += p.children;
  }
  for (const p of table) {
    if (!helpers.has(p.ppid) || !isStepLauncher(p.pid)) continue;
    self += p.self;
    children += p.children;
  }
  return { self, children };
}

/** Every process's pid, parent and CPU seconds (own, reaped children's); empty without /proc. */
function processTable() {
  let entries = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const table = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      table.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        self: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
        children: (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS,
      });
    } catch {
      // Gone meanwhile.
    }
  }
  return table;
}

/** The Python step launcher's source starts with this comment (engine runners/local/launcher-source.ts). */
function isStepLauncher(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("# gantry-step-launcher");
  } catch {
    return false;
  }
}

/** The whole machine's CPU time so far, busy and total (all CPUs), in seconds; null without /proc. */
export function machineCpuSeconds() {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    // idle and iowait are the time no one used.
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
  } catch {
    return null;
  }
}

/**
 * A wall clock (milliseconds since the epoch, fractional) to compare with timestamps other processes
 * take: Date.now() is only whole milliseconds, so this pins the monotonic performance.now() to the
 * moment Date.now() ticks. Any delay between the two readings makes the offset too small, never too
 * large, so the largest of a few tries is the closest. Make a fresh one per phase of a workload, so NTP
 * slewing cannot add up.
 */
export function wallClock() {
  let offset = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const first = Date.now();
    let now = Date.now();
    while (now === first) now = Date.now();
    offset = Math.max(offset, now - performance.now());
  }
  return () => offset + performance.now();
}
