// The benchmark of logs: one step printing 200 MiB of short lines (50 bytes each, about 4.2
// million) through `gantry up` (SQLite, its in-process worker and server: the memory measured is that of
// the whole process), against the floor of the same program writing to a file; the process's peak RSS
// over its idle RSS while the step runs and its log is archived; then the same run with 100 WebSocket
// followers on it, and how much they slow the step (two rounds of each, alternated); then a GET of the
// whole archived log (streamed).
import { spawn } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { appendFile, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BenchError } from "../lib/errors.mjs";
import { createDatabase } from "../lib/postgres.mjs";
import { LINE_BYTES, writePrintLines } from "../lib/print-lines.mjs";
import { startS3, useS3 } from "../lib/s3.mjs";
import {
  apiClient,
  epochMs,
  onExit,
  sleep,
  startCluster,
  startUp,
  waitForRun,
  writeConfig,
} from "../lib/service.mjs";
import { processCpuSeconds, settled, timeProcess, wallClock } from "../lib/timing.mjs";

const WORKFLOW = "bench-logs";
const FOLLOWERS = 100;
const MEMORY_TARGET_MB = 150;
const SLOWDOWN_TARGET = 0.1;
const LABEL = "sqlite (gantry up)";

/** Resident memory of `pid` in MB (VmRSS, or VmHWM: the peak since the last reset); null without /proc. */
function memoryMb(pid, field = "VmRSS") {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Resets VmHWM to the current RSS (writing 5 to clear_refs); false where the kernel does not allow it. */
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** Starts the followers' process: `{ready(), start(url), result(), kill()}`; `ready`: it waits for a URL. */
function startFollowers() {
  const child = spawn(process.execPath, [fileURLToPath(new URL("./logs-followers.mjs", import.meta.url))], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  // The followers stand for 100 browsers on other machines: at the lowest priority, their own CPU
  // (receiving every line 100 times) does not take this 2-CPU machine from the step being measured.
  try {
    os.setPriority(child.pid, 19);
  } catch {}
  const unregister = onExit(() => child.kill("SIGKILL"));
  const messages = [];
  let waiting = [];
  let text = "";
  child.stdout.on("data", (chunk) => {
    text += chunk;
    for (let newline = text.indexOf("\n"); newline !== -1; newline = text.indexOf("\n")) {
      messages.push(JSON.parse(text.slice(0, newline)));
      text = text.slice(newline + 1);
      for (const wake of waiting.splice(0)) wake();
    }
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  exited.then(() => {
    unregister();
    for (const wake of waiting.splice(0)) wake();
  });
  const next = async (key, timeoutMs) => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = messages.find((m) => key in m);
      if (found) return found;
      if (child.exitCode !== null) throw new BenchError(`the followers' process exited (${child.exitCode})`);
      if (performance.now() > deadline) {
        child.kill("SIGKILL");
        throw new BenchError(`the followers did not report '${key}' within ${timeoutMs / 1000} s`);
      }
      await Promise.race([new Promise((wake) => waiting.push(wake)), sleep(1_000)]);
      waiting = waiting.filter(Boolean);
    }
  };
  return {
    ready: () => next("ready", 10_000),
    start(url) {
      child.stdin.write(`${JSON.stringify({ url, count: FOLLOWERS })}\n`);
      return next("connecting", 10_000);
    },
    result: (timeoutMs) => next("followers", timeoutMs),
    kill: () => child.kill("SIGKILL"),
    pid: child.pid,
  };
}

let service;

/**
 * One run printing `lines` lines; with `followers`, they connect just after the POST. Resolves with the
 * run's seconds (POST to finished_at: the step, the storing of its lines and the archiving of its log)
 * and the process's peak RSS meanwhile (VmHWM after a reset, or samples every 20 ms).
 */
async function oneRun(lines, followers) {
  const { up, api, clock } = service;
  const pid = service.worker.pid;
  // The previous run's log is archived after it finished (off the run's critical path): done first.
  await settled(service.roles.map((role) => role.pid));
  const exact = resetPeak(pid);
  const cpuBefore = processCpuSeconds(pid)?.self;
  // Split (postgres): the server's too, which serves the followers.
  const serverBefore = up.pid !== pid ? processCpuSeconds(up.pid)?.self : undefined;
  let sampled = memoryMb(pid) ?? 0;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, memoryMb(pid) ?? 0);
  }, 20);
  try {
    const t0 = clock();
    const res = await api.request("POST", `/workflows/${WORKFLOW}/runs`, { inputs: { lines } });
    if (res.status !== 201)
      throw new BenchError(`POST /workflows/${WORKFLOW}/runs: ${res.status} ${res.text}`);
    const id = res.json.id;
    if (followers)
      await followers.start(`${up.url.replace(/^http/, "ws")}/api/v1/runs/${id}/logs?packed=true`);
    const run = await waitForRun(api, id, { roles: service.roles, everyMs: 100, timeoutMs: 1_800_000 });
    if (run.status !== "succeeded")
      throw new BenchError(`run ${id} ${run.status}: ${run.error}\n${up.log()}`);
    const finished = clock();
    const peak = Math.max(sampled, exact ? (memoryMb(pid, "VmHWM") ?? 0) : 0);
    const cpu = (processCpuSeconds(pid)?.self ?? Number.NaN) - (cpuBefore ?? Number.NaN);
    const serverCpu =
      serverBefore === undefined ? undefined : (processCpuSeconds(up.pid)?.self ?? Number.NaN) - serverBefore;
    return { id, seconds: (epochMs(run.finished_at) - t0) / 1000, peak, finished, cpu, serverCpu };
  } finally {
    clearInterval(sampler);
  }
}

const sum = (values) => values.reduce((a, b) => a + b, 0);

/** One run with FOLLOWERS followers, each of which must get every line in order and a 1000 close. */
async function followedRun(lines) {
  const followers = startFollowers();
  let followed;
  let report;
  try {
    await followers.ready();
    followed = await oneRun(lines, followers);
    followed.followersCpu = processCpuSeconds(followers.pid)?.self;
    report = await followers.result(600_000);
  } finally {
    followers.kill();
  }
  const complete = report.followers.filter(
    (f) => f.lines === lines && f.last === lines - 1 && f.ordered && f.code === 1000,
  ).length;
  if (complete !== FOLLOWERS) {
    const bad = report.followers.find((f) => !(f.lines === lines && f.ordered && f.code === 1000));
    throw new BenchError(
      `${FOLLOWERS - complete} follower(s) did not get the whole log in order: ${JSON.stringify(bad)}`,
    );
  }
  return { ...followed, caughtUp: (service.clock() - followed.finished) / 1000 };
}

export default {
  id: "logs",
  name: "logs: 200 MB step, memory, 100 followers",
  kind: "service",
  async measure(ctx) {
    // GANTRY_BENCH_LOGS_MB: another size, to look into one part without waiting for 200 MiB.
    const megabytes = Number(process.env.GANTRY_BENCH_LOGS_MB) || (ctx.quick ? 50 : 200);
    const lines = Math.floor((megabytes * 1024 * 1024) / LINE_BYTES);
    const dir = path.join(ctx.workDir, "logs");
    const wfDir = path.join(dir, "workflows");
    await mkdir(wfDir, { recursive: true });
    const program = await writePrintLines(dir, wfDir, WORKFLOW);
    const config = path.join(dir, "gantry.yaml");
    await writeConfig(config, { lease: 30, poll: 5, concurrency: 4, grace: 2 });
    // GANTRY_BENCH_LOGS_BACKEND=postgres: a server and one worker as separate processes on PostgreSQL,
    // to tell the worker's memory from the server's and see the followers cost the server alone.
    const postgres = process.env.GANTRY_BENCH_LOGS_BACKEND === "postgres";
    const database = postgres ? await createDatabase("logs") : undefined;
    let up;
    let stop;
    if (database) {
      // The server serves what the worker archived: both on one S3 (s3rver, in this process).
      const s3 = await startS3(path.join(dir, "s3"));
      await appendFile(config, useS3(s3));
      const cluster = await startCluster(ctx, {
        url: database.url,
        dir: wfDir,
        config,
        data: dir,
        workers: 1,
      });
      up = cluster.server;
      stop = async () => {
        await cluster.stop();
        await database.drop();
        await s3.close();
      };
      service = { up, worker: cluster.workers[0], roles: cluster.roles };
    } else {
      up = await startUp(ctx, { dir: wfDir, config, data: path.join(dir, "data") });
      stop = () => up.stop();
      service = { up, worker: up, roles: [up] };
    }
    Object.assign(service, { api: apiClient(up.url), clock: wallClock() });
    try {
      // Warm up: a small run loads every module a run needs, so the idle RSS includes them; then one of
      // the full size, so that the rounds all measure a warm process with its database file grown (the
      // first big run was 10-15% slower than the next, which favoured the followed run after it).
      await oneRun(1_000);
      await sleep(1_000);
      const idle = memoryMb(service.worker.pid);
      ctx.log(`logs: warm-up, ${lines} lines`);
      const warmUp = await oneRun(lines);

      ctx.log(`logs: floor, python printing ${megabytes} MiB to a file`);
      const out = path.join(dir, "floor.out");
      const floor = await timeProcess("bash", ["-c", `python3 "$0" ${lines} > "$1"`, program, out]);
      if (statSync(out).size !== lines * LINE_BYTES)
        throw new BenchError(`${program} printed the wrong amount`);

      // Alone and followed in turns, twice (once with --quick): one pair moved by ±20% from run to run on
      // this 2-CPU machine, more than the 10% to be told apart.
      const pairs = [];
      for (let round = 1; round <= (ctx.quick ? 1 : 2); round++) {
        ctx.log(`logs: round ${round}: the same program as a step (${lines} lines)`);
        const alone = await oneRun(lines);
        ctx.log(`logs: round ${round}: again, with ${FOLLOWERS} WebSocket followers`);
        const followed = await followedRun(lines);
        pairs.push({ alone, followed });
      }
      // Memory: the warm-up's and the first round's, over the idle process after the small run (a later
      // round starts from the heap followers grew).
      const alone = {
        id: pairs[0].alone.id,
        seconds: sum(pairs.map((p) => p.alone.seconds)) / pairs.length,
        peak: Math.max(warmUp.peak, pairs[0].alone.peak),
      };
      const followed = {
        seconds: sum(pairs.map((p) => p.followed.seconds)) / pairs.length,
        peak: Math.max(...pairs.map((p) => p.followed.peak)),
      };
      const caughtUp = Math.max(...pairs.map((p) => p.followed.caughtUp));

      const get = await getWholeAndTail(up, alone.id, lines);

      const overIdle = alone.peak - idle;
      const slowdown = followed.seconds / alone.seconds - 1;
      const backend = `${postgres ? "postgres (server + 1 worker)" : LABEL}, ${megabytes} MiB`;
      return {
        rows: [
          {
            workload: "logs: step printing short lines",
            backend,
            measure: "gantry / floor wall",
            value: alone.seconds / floor.seconds,
            target: "-",
            met: null,
          },
          {
            workload: "logs: peak RSS over idle",
            backend,
            measure: "MB",
            value: overIdle,
            target: `< ${MEMORY_TARGET_MB}`,
            met: overIdle < MEMORY_TARGET_MB,
          },
          {
            workload: `logs: ${FOLLOWERS} WebSocket followers`,
            backend,
            measure: "step slowdown %",
            value: slowdown * 100,
            target: `< ${SLOWDOWN_TARGET * 100}`,
            met: slowdown < SLOWDOWN_TARGET,
          },
        ],
        details: [
          {
            title: `logs: ${lines} lines of ${LINE_BYTES} bytes (${megabytes} MiB), ${postgres ? "server + worker on PostgreSQL, S3 archive (s3rver); memory: the worker's" : "gantry up (SQLite, local archive)"}`,
            columns: [
              { title: "measure" },
              { title: "seconds", align: "right" },
              { title: "MiB/s", align: "right" },
              { title: "peak RSS MB", align: "right" },
              { title: "over idle MB", align: "right" },
            ],
            rows: [
              ["floor: python > file", floor.seconds, megabytes / floor.seconds, null, null],
              [
                `step, no followers (POST to finished_at; mean of ${pairs.length})`,
                alone.seconds,
                megabytes / alone.seconds,
                alone.peak,
                overIdle,
              ],
              [
                `step, ${FOLLOWERS} followers (mean of ${pairs.length})`,
                followed.seconds,
                megabytes / followed.seconds,
                followed.peak,
                followed.peak - idle,
              ],
              [`followers caught up, after the run (slowest round)`, caughtUp, null, null, null],
              [
                "GET whole log (text, streamed; server RSS)",
                get.seconds,
                megabytes / get.seconds,
                get.peak,
                get.peak - get.before,
              ],
              ["GET ?tail=10", get.tailSeconds, null, null, null],
            ].map((row) =>
              row.map((cell, i) =>
                i === 0 ? cell : typeof cell === "number" ? cell.toFixed(i === 1 ? 3 : 1) : "-",
              ),
            ),
            notes: [
              `idle RSS ${idle?.toFixed(1)} MB (after a small run). Followers run in their own process and read`,
              "only each message's offsets and line count; each must get every line, in order, and a 1000 close.",
              `rounds (alone / followed / followers caught up s): ${pairs.map((p) => [p.alone.seconds, p.followed.seconds, p.followed.caughtUp].map((v) => v.toFixed(2)).join(" / ")).join(", ")}.`,
              `CPU s during the step, ${postgres ? "the worker" : "gantry"} alone / followed / the followers' process: ${pairs.map((p) => [p.alone.cpu, p.followed.cpu, p.followed.followersCpu].map((v) => v?.toFixed(2)).join(" / ")).join(", ")}.`,
              ...(postgres
                ? [
                    `CPU s during the step, the server alone / followed: ${pairs.map((p) => [p.alone.serverCpu, p.followed.serverCpu].map((v) => v?.toFixed(2)).join(" / ")).join(", ")}.`,
                  ]
                : []),
              "While a step prints, gantry up serves its followers with at most 3% of the event loop (capture",
              "first: the step waits for it); they catch up after it, and get every line.",
            ],
          },
        ],
      };
    } finally {
      service.api.close();
      await stop();
      service = undefined;
    }
  },
};

/** Times a GET of the whole archived log (and the server's memory meanwhile) and one of its tail. */
async function getWholeAndTail(up, id, lines) {
  resetPeak(up.pid);
  const before = memoryMb(up.pid);
  const t0 = service.clock();
  const whole = await getBytes(`${up.url}/api/v1/runs/${id}/logs?step=print`);
  const seconds = (service.clock() - t0) / 1000;
  const peak = memoryMb(up.pid, "VmHWM");
  if (whole !== lines * LINE_BYTES)
    throw new BenchError(`GET of the log: ${whole} bytes, expected ${lines * LINE_BYTES}`);
  const t1 = service.clock();
  const tail = await service.api.request("GET", `/runs/${id}/logs?step=print&tail=10`);
  const tailSeconds = (service.clock() - t1) / 1000;
  if (!tail.text.startsWith(`${String(lines - 10).padStart(8, "0")} `))
    throw new BenchError(`tail=10 answered ${tail.text.slice(0, 100)}`);
  return { seconds, peak, before, tailSeconds };
}

/** GETs `url` and counts the body's bytes without keeping them. */
async function getBytes(url) {
  const res = await fetch(url);
  if (res.status !== 200) throw new BenchError(`GET ${url}: ${res.status}`);
  let bytes = 0;
  for await (const chunk of res.body) bytes += chunk.length;
  return bytes;
}
