// Clock and process helpers shared by every workload. Times come from the monotonic hrtime clock,
// never Date.now(), so an NTP step during a long run cannot bend a sample.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

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
