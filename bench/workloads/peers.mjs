// Gantry against the job queues a team would otherwise build on: graphile-worker (on the same Postgres)
// and BullMQ (on the Redis of this machine), each with one producer process and two worker processes
// of 8 jobs at once, running gantry's two-step chain with the same step process, driven by the same
// code as gantry's `throughput` and `latency` workloads (open-loop POSTs at rising rates; one run at a
// time with the step's own start mark and the floor after each). Gantry's numbers come from those two
// workloads in the same bench run (measured here when they were not selected). Prints each system's
// ladder, the level it held, its saturation, orchestration CPU per run and trigger-to-start overhead
// above the floor, and gantry's ratio to each peer (compared as lib/ladder.mjs says).
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { BenchError } from "../lib/errors.mjs";
import {
  compareHeld,
  compareSaturation,
  heldRate,
  offeredLevelHeld,
  P95_LIMIT_SECONDS,
  rateResolution,
  SENT_SHARE,
  saturation,
} from "../lib/ladder.mjs";
import {
  adminClient,
  backendCpuBetween,
  backendCpuSeconds,
  createDatabase,
  postgresUnavailable,
} from "../lib/postgres.mjs";
import { apiClient, onExit, sleep } from "../lib/service.mjs";
import { machineCpuSeconds, percentile, processCpuSeconds, wallClock } from "../lib/timing.mjs";
import latency, { floorSample, MARK, waitForMark } from "./latency.mjs";
import throughput, { MAX_IN_FLIGHT, offer, throughputLevels, WORKER_CONCURRENCY } from "./throughput.mjs";

const REDIS_PORT = Number(process.env.GANTRY_BENCH_REDIS_PORT ?? 6379);
const ROLE_SCRIPT = fileURLToPath(new URL("./peer-role.mjs", import.meta.url));
const PEERS = [
  { system: "graphile", label: "graphile-worker 0.18 (Postgres)", short: "graphile" },
  { system: "bullmq", label: "BullMQ 6.7 (Redis)", short: "BullMQ" },
];

/** Starts one peer process; resolves once it is ready. Run ids it reports done go to `finished`. */
function startPeerRole(name, options, finished) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ROLE_SCRIPT, JSON.stringify(options)], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const unregister = onExit(() => child.kill("SIGKILL"));
    let exited = null;
    let stderr = "";
    child.stderr.on("data", (data) => {
      stderr = (stderr + data).slice(-4000);
    });
    const role = {
      name,
      pid: child.pid,
      url: null,
      check() {
        if (exited !== null) throw new BenchError(`${name} exited (${exited}): ${stderr.slice(-1000)}`);
      },
      async stop() {
        if (exited === null) {
          child.stdin.end();
          const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          await new Promise((done) => (exited === null ? child.once("exit", done) : done()));
          clearTimeout(killer);
        }
        unregister();
      },
    };
    child.once("exit", (code, signal) => {
      exited = signal ?? code;
      reject(new BenchError(`${name} exited before it was ready (${exited}): ${stderr.slice(-1000)}`));
    });
    readline.createInterface({ input: child.stdout }).on("line", (line) => {
      const message = JSON.parse(line);
      if (message.ready) {
        if (typeof message.ready === "string") role.url = message.ready;
        resolve(role);
      } else if (message.done) finished.report(message.done, message.at);
    });
  });
}

/** Run ids reported done, with when; waiters for one id. */
function finishedRuns() {
  const at = new Map();
  const waiters = new Map();
  return {
    at,
    report(id, ms) {
      at.set(id, ms);
      waiters.get(id)?.();
      waiters.delete(id);
    },
    wait(id, roles, timeoutMs = 30_000) {
      if (at.has(id)) return Promise.resolve(at.get(id));
      return new Promise((resolve, reject) => {
        const check = setInterval(() => {
          try {
            for (const role of roles) role.check();
          } catch (error) {
            clearInterval(check);
            reject(error);
          }
        }, 100);
        const timer = setTimeout(() => {
          clearInterval(check);
          reject(new BenchError(`run ${id} not done within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        waiters.set(id, () => {
          clearInterval(check);
          clearTimeout(timer);
          resolve(at.get(id));
        });
      });
    },
  };
}

function redisUnavailable() {
  return new Promise((resolve) => {
    const socket = net.connect(REDIS_PORT, "127.0.0.1");
    socket.setTimeout(2000, () => socket.destroy(new Error("no answer in 2 s")));
    socket.once("connect", () => {
      socket.end();
      resolve(null);
    });
    socket.once("error", (error) => resolve(error.message));
  });
}

/** The redis-server process's CPU seconds (null if it is not on this machine). */
function redisCpuSeconds() {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === "redis-server") {
        return processCpuSeconds(Number(entry))?.self ?? null;
      }
    } catch {}
  }
  return null;
}

/** A peer's producer and two workers, with what it needs to be measured. */
async function startPeer(peer, files) {
  const finished = finishedRuns();
  const common = { system: peer.system, scripts: files.scripts, markDir: files.markDir };
  let options;
  let database;
  let admin;
  let dbCpu;
  if (peer.system === "graphile") {
    database = await createDatabase("peers_graphile");
    admin = await adminClient();
    options = { ...common, database: database.url };
    dbCpu = async () => backendCpuSeconds(admin, database.name);
  } else {
    options = { ...common, redisPort: REDIS_PORT, queue: `gantry-bench-${process.pid}` };
    dbCpu = async () => redisCpuSeconds();
  }
  const roles = [];
  const stop = async () => {
    for (const role of roles.reverse()) await role.stop();
    await admin?.end();
    await database?.drop();
  };
  try {
    // The producer first: for graphile-worker it installs the schema.
    const front = await startPeerRole(`${peer.label} producer`, { ...options, role: "front" }, finished);
    roles.push(front);
    const workers = await Promise.all(
      [1, 2].map((i) =>
        startPeerRole(
          `${peer.label} worker ${i}`,
          { ...options, role: "worker", concurrency: WORKER_CONCURRENCY },
          finished,
        ),
      ),
    );
    roles.push(...workers);
    return { front, workers, roles: [...roles], finished, dbCpu, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function cpuSnapshot(started) {
  const self = (role) => processCpuSeconds(role.pid)?.self ?? Number.NaN;
  return {
    front: self(started.front),
    workers: started.workers.reduce((sum, role) => sum + self(role), 0),
    db: await started.dbCpu(),
    machine: machineCpuSeconds(),
  };
}

/** One throughput level on a peer, as throughput.mjs's runLevel does it on gantry. */
async function peerLevel(ctx, started, api, label, rate, seconds) {
  const clock = wallClock();
  const before = await cpuSnapshot(started);
  ctx.log(`peers: ${label}: ${rate} runs/s for ${seconds} s`);
  const sent = await offer(api, "throughput", rate, seconds, clock);
  const deadline = performance.now() + (ctx.quick ? 10_000 : 20_000);
  while (performance.now() < deadline && [...sent.asked.keys()].some((id) => !started.finished.at.has(id))) {
    for (const role of started.roles) role.check();
    await sleep(100);
  }
  const after = await cpuSnapshot(started);
  const latencies = [];
  let lastFinished = sent.firstAsked;
  for (const [id, asked] of sent.asked) {
    const at = started.finished.at.get(id);
    if (at === undefined) latencies.push(Number.POSITIVE_INFINITY);
    else {
      lastFinished = Math.max(lastFinished, at);
      latencies.push((at - asked) / 1000);
    }
  }
  const completed = latencies.filter(Number.isFinite).length;
  for (let i = latencies.length; i < sent.count; i++) latencies.push(Number.POSITIVE_INFINITY);
  const perMinute = completed === 0 ? 0 : (completed / ((lastFinished - sent.firstAsked) / 1000)) * 60;
  const p95 = percentile(latencies, 95);
  const perRun = (a, b) => ((b - a) / sent.count) * 1000;
  const db =
    before.db === null || after.db === null
      ? Number.NaN
      : before.db instanceof Map
        ? (backendCpuBetween(before.db, after.db) / sent.count) * 1000
        : perRun(before.db, after.db);
  ctx.log(`peers: ${label}: ${rate}/s -> ${perMinute.toFixed(0)} runs/min, p95 ${p95.toFixed(3)} s`);
  return {
    rate,
    sentPerSecond: sent.sentPerSecond,
    perMinute,
    p95,
    ok: offeredLevelHeld(rate, sent, completed, p95),
    orchestrationCpuMs: perRun(before.front, after.front) + perRun(before.workers, after.workers),
    dbCpuMs: db,
    machineCpuPercent:
      before.machine && after.machine
        ? ((after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total)) * 100
        : Number.NaN,
  };
}

/** Trigger to the step's start, one run at a time, as latency.mjs's sampleLatency does it on gantry. */
async function peerLatency(started, api, files, { runs, warmup }) {
  const samples = [];
  const floor = [];
  const clock = wallClock();
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = clock();
    const id = await api.startRun("latency");
    const mark = await waitForMark(files.markDir, id, started.roles);
    await started.finished.wait(id, started.roles);
    if (i >= warmup) {
      samples.push(mark - t0);
      floor.push(await floorSample(clock, files.markDir, path.join(files.scripts, "latency.sh")));
    }
    await sleep(20);
  }
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), floorP50: percentile(floor, 50) };
}

async function measurePeer(ctx, peer, files) {
  const started = await startPeer(peer, files);
  const api = apiClient(started.front.url, { maxSockets: MAX_IN_FLIGHT });
  try {
    const { levels, levelSeconds } = throughputLevels(ctx);
    ctx.log(`peers: ${peer.label}: warm-up`);
    await offer(api, "throughput", 10, 2, wallClock());
    await sleep(2000);
    const options = ctx.quick ? { runs: 30, warmup: 3 } : { runs: 100, warmup: 5 };
    ctx.log(`peers: ${peer.label}: trigger-to-start, ${options.runs} runs`);
    const lat = await peerLatency(started, api, files, options);
    const results = [];
    for (const rate of levels) {
      const level = await peerLevel(ctx, started, api, peer.label, rate, levelSeconds);
      results.push(level);
      if (!level.ok) break;
      await sleep(500);
    }
    return summarize(peer, results, lat);
  } finally {
    api.close();
    await started.stop();
  }
}

/** What the table compares, from a system's levels and its latency. */
function summarize({ label, short }, levels, lat) {
  const held = heldRate(levels);
  return {
    label,
    short,
    levels,
    // The level held (runs a second offered), and the completion rate measured there.
    held,
    heldPerMinute: levels.find((l) => l.rate === held)?.perMinute ?? 0,
    saturation: saturation(levels),
    latency: lat,
    overheadMs: lat.p50 - lat.floorP50,
  };
}

/** Gantry's side, from this run's throughput and latency workloads (measured now if they were not). */
async function gantrySide(ctx) {
  const earlier = (id) => ctx.services?.find((s) => s.id === id);
  const tp = earlier("throughput") ?? (await throughput.measure(ctx));
  const lat = earlier("latency") ?? (await latency.measure(ctx));
  const summary = lat.summaries?.postgres;
  if (!tp.levels || !summary) return null;
  const levels = tp.levels.map((l) => ({
    rate: l.rate,
    sentPerSecond: l.sentPerSecond,
    perMinute: l.perMinute,
    p95: l.p95,
    ok: l.ok,
    orchestrationCpuMs: l.serverCpuMs + l.workersCpuMs + l.spawnersCpuMs,
    dbCpuMs: l.postgresCpuMs,
    machineCpuPercent: l.machineCpuPercent,
  }));
  return summarize({ label: "Gantry (Postgres, 1 server, 2 workers)", short: "gantry" }, levels, summary);
}

/**
 * CPU per run at `rate`: the highest rate every system ran (each ladder runs the same levels from the
 * bottom up to its first miss, so every one has it), where each pays the same batching.
 */
function cpuAt(side, rate) {
  const level = side.levels.find((l) => l.rate === rate);
  if (!level) throw new BenchError(`peers: ${side.label} did not run ${rate} runs/s`);
  return level;
}

/** Each system's ladder side by side: per level offered, its completion rate, p95 and verdict. */
function ladderDetail(sides, levelSeconds) {
  const rates = [...new Set(sides.flatMap((s) => s.levels.map((l) => l.rate)))].sort((a, b) => a - b);
  const cells = (side, rate) => {
    const l = side.levels.find((x) => x.rate === rate);
    if (!l) return ["", "", "", ""];
    return [
      l.sentPerSecond.toFixed(1),
      l.perMinute.toFixed(0),
      Number.isFinite(l.p95) ? l.p95.toFixed(3) : "unfinished",
      l.ok ? "held" : "missed",
    ];
  };
  return {
    title: `peers: the ladder (${levelSeconds} s a level; each system stops after its first miss)`,
    columns: [
      { title: "offered/s", align: "right" },
      ...sides.flatMap((s) => [
        { title: `${s.short} sent/s`, align: "right" },
        { title: "runs/min", align: "right" },
        { title: "p95 s", align: "right" },
        { title: "" },
      ]),
    ],
    rows: rates.map((rate) => [String(rate), ...sides.flatMap((s) => cells(s, rate))]),
    notes: [
      `held: p95 (POST to the chain's end) < ${P95_LIMIT_SECONDS} s, every run done, sent/s at least ${SENT_SHARE * 100} % of offered/s.`,
    ],
  };
}

export default {
  id: "peers",
  name: "peers: graphile-worker and BullMQ",
  kind: "service",
  async measure(ctx) {
    const skipped = [];
    const pgDown = await postgresUnavailable();
    if (pgDown) return { rows: [], skipped: [`peers: no PostgreSQL (${pgDown})`] };
    const gantry = await gantrySide(ctx);
    if (!gantry) return { rows: [], skipped: ["peers: gantry's Postgres throughput or latency did not run"] };
    const dir = path.join(ctx.workDir, "peers");
    const files = { scripts: path.join(dir, "scripts"), markDir: path.join(dir, "marks") };
    await mkdir(files.scripts, { recursive: true });
    await mkdir(files.markDir, { recursive: true });
    // The step of each workload, as gantry runs it: `a: run: "true"` and the latency workload's mark.
    await writeFile(path.join(files.scripts, "throughput.sh"), "true\n");
    await writeFile(path.join(files.scripts, "latency.sh"), `${MARK}\n`);
    const sides = [gantry];
    for (const peer of PEERS) {
      if (peer.system === "bullmq") {
        const down = await redisUnavailable();
        if (down) {
          skipped.push(`${peer.label}: no Redis on 127.0.0.1:${REDIS_PORT} (${down})`);
          continue;
        }
      }
      sides.push(await measurePeer(ctx, peer, files));
    }
    const commonRate = Math.min(...sides.map((s) => Math.max(...s.levels.map((l) => l.rate))));
    const { levelSeconds } = throughputLevels(ctx);
    const resolution = rateResolution(levelSeconds);
    const percent = (share) => `${Math.round(share * 100)} %`;
    const rows = [];
    for (const peer of sides.slice(1)) {
      const g = cpuAt(gantry, commonRate);
      const p = cpuAt(peer, commonRate);
      const vs = `gantry / ${peer.label}`;
      rows.push(
        {
          workload: "peers",
          backend: vs,
          measure: `saturation runs/min ratio (within ${percent(resolution)} = equal)`,
          target: ">= 1",
          ...compareSaturation(gantry.saturation, peer.saturation, resolution),
        },
        {
          workload: "peers",
          backend: vs,
          measure: `level held ratio (runs/s offered, p95 < ${P95_LIMIT_SECONDS} s)`,
          target: ">= 1",
          ...compareHeld(gantry.held, peer.held),
        },
        {
          workload: "peers",
          backend: vs,
          measure: `orchestration cpu/run ratio (at ${commonRate}/s)`,
          value: g.orchestrationCpuMs / p.orchestrationCpuMs,
          target: "<= 1",
          met: g.orchestrationCpuMs <= p.orchestrationCpuMs,
        },
        {
          workload: "peers",
          backend: vs,
          measure: "trigger-to-start overhead ratio",
          value: gantry.overheadMs / peer.overheadMs,
          target: null,
          met: null,
        },
      );
    }
    const f = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "-");
    return {
      rows,
      skipped,
      details: [
        ladderDetail(sides, levelSeconds),
        {
          title: `peers: the two-step chain, 1 producer/server + 2 workers x ${WORKER_CONCURRENCY}; cpu at ${commonRate} runs/s`,
          columns: [
            { title: "system" },
            { title: "held runs/s", align: "right" },
            { title: "runs/min there", align: "right" },
            { title: "saturation runs/min", align: "right" },
            { title: "orchestration cpu ms/run", align: "right" },
            { title: "db cpu ms/run", align: "right" },
            { title: "trigger-start p50 ms", align: "right" },
            { title: "floor p50 ms", align: "right" },
            { title: "overhead ms", align: "right" },
          ],
          rows: sides.map((s) => {
            const level = cpuAt(s, commonRate);
            return [
              s.label,
              String(s.held),
              f(s.heldPerMinute, 0),
              `${s.saturation.reached ? "" : ">= "}${f(s.saturation.perMinute, 0)}`,
              f(level.orchestrationCpuMs),
              f(level.dbCpuMs),
              f(s.latency.p50),
              f(s.latency.floorP50),
              f(s.overheadMs),
            ];
          }),
          notes: [
            "held: the highest level (runs/s offered) that held, as in the ladder above; the held ratio compares these",
            "  levels, so two systems that held the same level tie (runs/min there: completed over the time from the",
            "  level's first POST to its last run's end, which moves with the last run's latency);",
            "saturation: the highest completion rate of any level; '>=' when the system held every level (never",
            `  saturated). Rates within ${percent(resolution)} count as equal (a level holds with its last run ending up to`,
            `  ${P95_LIMIT_SECONDS} s after its last POST: ${percent(resolution)} of a ${levelSeconds} s level).`,
            `cpu at ${commonRate} runs/s: the highest rate every system ran (a system that missed it ran it saturated).`,
            "orchestration cpu: gantry's server, workers and spawner helpers; a peer's producer and workers",
            "  (its step processes excluded on both sides); db cpu: Postgres backends of its database, or redis-server.",
            "overhead: trigger-to-start p50 above the floor (the bench spawning the same step itself), Postgres for gantry.",
          ],
        },
      ],
    };
  },
};
