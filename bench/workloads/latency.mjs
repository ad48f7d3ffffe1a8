// Trigger-to-start latency: from the API call that starts a run to its step's process running, on
// SQLite (`gantry up`, one in-process worker) and on Postgres (one server, two workers). The step
// writes its own clock (bash's $EPOCHREALTIME: no extra process) to a file named after the run; the
// bench compares it with the wall clock taken just before the request (one machine, one clock). Runs go
// one at a time, each after the previous one finished, so this measures latency, not queueing.
import { spawn } from "node:child_process";
import { watch } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { BenchError } from "../lib/errors.mjs";
import { createDatabase, postgresUnavailable } from "../lib/postgres.mjs";
import {
  apiClient,
  epochMs,
  sleep,
  startCluster,
  startUp,
  waitForRun,
  writeConfig,
} from "../lib/service.mjs";
import { percentile, wallClock } from "../lib/timing.mjs";

const WORKFLOW = "bench-latency";
const TARGETS = { sqlite: 25, postgres: 50 };
/** The step: its own start time, from bash's clock ($EPOCHREALTIME is a builtin: no `date` process). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a bash parameter expansion, not a JS template.
export const MARK = 'echo "${EPOCHREALTIME:-$(date +%s.%N)}" > "$MARK_DIR/$GANTRY_RUN_ID"';

/** `seconds.fraction` (as $EPOCHREALTIME or `date +%s.%N` print it) as fractional epoch milliseconds. */
export function parseMark(text) {
  const [seconds, fraction = ""] = text.trim().split(".");
  return Number(seconds) * 1000 + Number(fraction.padEnd(9, "0").slice(0, 9)) / 1e6;
}

/** Resolves with the mark the step of run `id` wrote, as soon as it is complete (a whole line). */
export function waitForMark(dir, id, roles, timeoutMs = 30_000) {
  const file = path.join(dir, id);
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error, value) => {
      if (done) return;
      done = true;
      watcher.close();
      clearInterval(check);
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value);
    };
    const attempt = () =>
      readFile(file, "utf8").then(
        (text) => text.endsWith("\n") && finish(null, parseMark(text)),
        () => {},
      );
    // inotify, so the bench waits without asking the service anything while the step is starting.
    const watcher = watch(dir, (_event, name) => name === id && attempt());
    const check = setInterval(() => {
      try {
        for (const role of roles) role.check();
        attempt();
      } catch (error) {
        finish(error);
      }
    }, 100);
    const timer = setTimeout(
      () => finish(new BenchError(`run ${id}: its step did not start within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    attempt();
  });
}

/**
 * The floor: the bench itself starts the same bash script the way gantry's local runner does (spawn
 * with piped output), and times it the same way. Process creation is all there is to it.
 */
export async function floorSample(clock, markDir, script) {
  const id = `floor-${Math.random().toString(36).slice(2)}`;
  const t0 = clock();
  const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], {
    env: { PATH: process.env.PATH ?? "", MARK_DIR: markDir, GANTRY_RUN_ID: id },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.resume();
  child.stderr.resume();
  const code = await new Promise((resolve) => child.on("close", resolve));
  if (code !== 0) throw new BenchError(`bash ${script}: exit code ${code}`);
  return parseMark(await readFile(path.join(markDir, id), "utf8")) - t0;
}

/**
 * `runs` runs one after another (after `warmup` untimed ones); one sample each, and one of the floor
 * after each, so both see the same load on a shared machine.
 */
async function sampleLatency(api, roles, files, { runs, warmup, label }) {
  const { markDir } = files;
  const samples = [];
  const floor = [];
  const clock = wallClock();
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = clock();
    const id = await api.startRun(WORKFLOW);
    const answered = clock();
    const mark = await waitForMark(markDir, id, roles);
    const run = await waitForRun(api, id, { roles, everyMs: 10 });
    if (run.status !== "succeeded") {
      throw new BenchError(`${label}: run ${id} ${run.status}: ${run.error ?? JSON.stringify(run.steps)}`);
    }
    if (i >= warmup) {
      const created = epochMs(run.created_at);
      const started = epochMs(run.started_at);
      samples.push({
        latency: mark - t0,
        answered: answered - t0,
        created: created - t0,
        claimed: started - created,
        process: mark - started,
      });
      floor.push(await floorSample(clock, markDir, files.script));
    }
    // Let the service settle back to idle (the worker's next claim comes up empty) before the next one.
    await sleep(20);
  }
  return { samples, floor };
}

function summarize(backend, label, { samples, floor }) {
  const latencies = samples.map((s) => s.latency);
  const p50 = percentile(latencies, 50);
  const p95 = percentile(latencies, 95);
  const target = TARGETS[backend];
  const part = (key) =>
    percentile(
      samples.map((s) => s[key]),
      50,
    );
  return {
    backend,
    summary: { p50, p95, floorP50: percentile(floor, 50) },
    rows: [
      {
        workload: "trigger-to-start",
        backend: label,
        measure: "p50 ms",
        value: p50,
        target: `< ${target}`,
        met: p50 < target,
      },
      {
        workload: "trigger-to-start",
        backend: label,
        measure: "p95 ms",
        value: p95,
        target: null,
        met: null,
      },
    ],
    detail: [
      label,
      String(samples.length),
      p50.toFixed(1),
      p95.toFixed(1),
      Math.max(...latencies).toFixed(1),
      part("answered").toFixed(1),
      part("created").toFixed(1),
      part("claimed").toFixed(1),
      part("process").toFixed(1),
      percentile(floor, 50).toFixed(1),
      percentile(floor, 95).toFixed(1),
    ],
    samples,
  };
}

async function prepareFiles(dir) {
  const markDir = path.join(dir, "marks");
  const wfDir = path.join(dir, "workflows");
  await mkdir(markDir, { recursive: true });
  await mkdir(wfDir, { recursive: true });
  await writeFile(
    path.join(wfDir, "latency.yaml"),
    `# Generated by bench/workloads/latency.mjs
name: ${WORKFLOW}
description: "One step that writes the moment its process started"
env:
  MARK_DIR: ${JSON.stringify(markDir)}
steps:
  mark:
    run: ${MARK}
`,
  );
  const script = path.join(dir, "floor.sh");
  await writeFile(script, `${MARK}\n`);
  // The defaults, written out: lease 30 s, poll 5 s (the fallback), 4 steps at once per worker.
  const config = path.join(dir, "gantry.yaml");
  await writeConfig(config, { lease: 30, poll: 5, concurrency: 4, grace: 2 });
  return { markDir, wfDir, config, script };
}

async function onSqlite(ctx, options) {
  const dir = path.join(ctx.workDir, "latency", "sqlite");
  const files = await prepareFiles(dir);
  const up = await startUp(ctx, { dir: files.wfDir, config: files.config, data: path.join(dir, "data") });
  const api = apiClient(up.url);
  try {
    const label = "SQLite (up)";
    ctx.log(`trigger-to-start: ${label}, ${options.runs} runs`);
    return summarize("sqlite", label, await sampleLatency(api, [up], files, { ...options, label }));
  } finally {
    api.close();
    await up.stop();
  }
}

async function onPostgres(ctx, options) {
  const label = "Postgres (1 server, 2 workers)";
  const unavailable = await postgresUnavailable();
  if (unavailable) return { skipped: `${label}: no PostgreSQL (${unavailable})` };
  const dir = path.join(ctx.workDir, "latency", "postgres");
  const files = await prepareFiles(dir);
  const database = await createDatabase("latency");
  try {
    const cluster = await startCluster(ctx, {
      url: database.url,
      dir: files.wfDir,
      config: files.config,
      data: dir,
    });
    const api = apiClient(cluster.server.url);
    try {
      ctx.log(`trigger-to-start: ${label}, ${options.runs} runs`);
      return summarize(
        "postgres",
        label,
        await sampleLatency(api, cluster.roles, files, { ...options, label }),
      );
    } finally {
      api.close();
      await cluster.stop();
    }
  } finally {
    await database.drop();
  }
}

export default {
  id: "latency",
  name: "trigger-to-start",
  kind: "service",
  async measure(ctx) {
    const options = ctx.quick ? { runs: 30, warmup: 3 } : { runs: 100, warmup: 5 };
    const results = [await onSqlite(ctx, options), await onPostgres(ctx, options)];
    const done = results.filter((r) => !r.skipped);
    return {
      rows: done.flatMap((r) => r.rows),
      skipped: results.filter((r) => r.skipped).map((r) => r.skipped),
      details: [
        {
          title: "trigger-to-start, ms (the parts are medians; the service's timestamps are whole ms)",
          columns: [
            { title: "backend" },
            { title: "runs", align: "right" },
            { title: "p50", align: "right" },
            { title: "p95", align: "right" },
            { title: "max", align: "right" },
            { title: "POST answered", align: "right" },
            { title: "to run created", align: "right" },
            { title: "created to claimed", align: "right" },
            { title: "claimed to process", align: "right" },
            { title: "floor p50", align: "right" },
            { title: "floor p95", align: "right" },
          ],
          rows: done.map((r) => r.detail),
          notes: [
            "floor: the bench spawns the same bash script itself, as gantry's runner does, after each run:",
            "process creation on this machine, which no orchestrator can avoid.",
          ],
        },
      ],
      samples: Object.fromEntries(done.map((r) => [r.detail[0], r.samples])),
      summaries: Object.fromEntries(done.map((r) => [r.backend, r.summary])),
    };
  },
};
