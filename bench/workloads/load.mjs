// Load: one server and two workers on Postgres (logs archived to one S3, s3rver), 1,000 two-step runs submitted 50 at a time (each batch
// once the previous one was answered), 200 of them (every fifth) followed live over WebSocket from a
// process of their own, while a client reads the first page of GET /api/v1/runs one request after
// another. Each step prints 5 lines 0.1 s apart, each starting with bash's $EPOCHREALTIME. Measured:
// the POSTs' p95, the GETs' p95 (while runs are submitted and while they drain), and the followers'
// lag from a line's print to its arrival (p95 and max). Targets: under 200 ms, 300 ms and 1 s.
import { spawn } from "node:child_process";
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { BenchError } from "../lib/errors.mjs";
import { createDatabase, postgresUnavailable } from "../lib/postgres.mjs";
import { startS3, useS3 } from "../lib/s3.mjs";
import { ACTIVE_STATUSES, apiClient, onExit, sleep, startCluster, writeConfig } from "../lib/service.mjs";
import { percentile } from "../lib/timing.mjs";

const LABEL = "Postgres (1 server, 2 workers of 8)";
const BATCH = 50;
const FOLLOW_EVERY = 5;
const WORKFLOW = `name: load
steps:
  a:
    run: for i in 1 2 3 4 5; do echo "t=$EPOCHREALTIME a $i"; sleep 0.1; done
  b:
    needs: a
    run: for i in 1 2 3 4 5; do echo "t=$EPOCHREALTIME b $i"; sleep 0.1; done
`;

/** Starts the followers' process; resolves once it is loaded. */
function startFollowers(base) {
  const script = fileURLToPath(new URL("./load-followers.mjs", import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ["pipe", "pipe", "inherit"] });
  const stopOnExit = onExit(() => child.kill("SIGKILL"));
  const lines = readline.createInterface({ input: child.stdout });
  const messages = lines[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await messages.next();
    if (done) throw new BenchError("the load followers' process ended early");
    return JSON.parse(value);
  };
  return next().then(() => {
    child.stdin.write(`${JSON.stringify({ base: base.replace(/^http/, "ws") })}\n`);
    return {
      follow: (id) => child.stdin.write(`${id}\n`),
      async finish() {
        child.stdin.end();
        const result = await next();
        stopOnExit();
        return result;
      },
      kill: () => child.kill("SIGKILL"),
    };
  });
}

export default {
  id: "load",
  name: "load: 1,000 runs, 200 followers",
  kind: "service",
  async measure(ctx) {
    const unavailable = await postgresUnavailable();
    if (unavailable) return { rows: [], skipped: [`${LABEL}: no PostgreSQL (${unavailable})`] };
    const runs = ctx.quick ? 300 : 1000;
    const dir = path.join(ctx.workDir, "load");
    const wfDir = path.join(dir, "workflows");
    await mkdir(wfDir, { recursive: true });
    await writeFile(path.join(wfDir, "load.yaml"), WORKFLOW);
    const config = path.join(dir, "gantry.yaml");
    await writeConfig(config, { lease: 30, poll: 5, concurrency: 8, grace: 2 });
    // The server serves what the workers archived: all on one S3 (s3rver, in this process). Each role
    // has a data folder of its own, so a local archive would be three archives.
    const s3 = await startS3(path.join(dir, "s3"));
    await appendFile(config, useS3(s3));
    const database = await createDatabase("load");
    const posts = [];
    const gets = [];
    let followed;
    let seconds;
    try {
      const cluster = await startCluster(ctx, { url: database.url, dir: wfDir, config, data: dir });
      const submitter = apiClient(cluster.server.url, { maxSockets: BATCH });
      const reader = apiClient(cluster.server.url, { maxSockets: 1 });
      const followers = await startFollowers(cluster.server.url);
      try {
        const start = performance.now();
        let submitting = true;
        const ids = [];
        const reading = (async () => {
          // One request after another, as a page left open polls; ends when every run has finished.
          for (;;) {
            const t0 = performance.now();
            const res = await reader.request("GET", "/runs");
            gets.push({ ms: performance.now() - t0, submitting });
            if (res.status !== 200)
              throw new BenchError(`GET /runs: ${res.status} ${res.text.slice(0, 200)}`);
            if (!submitting && !res.json.runs.some((r) => ACTIVE_STATUSES.has(r.status))) {
              const active = await reader.request("GET", "/runs?status=running&limit=1");
              const queued = await reader.request("GET", "/runs?status=queued&limit=1");
              if (active.json.runs.length === 0 && queued.json.runs.length === 0) return;
            }
            for (const role of cluster.roles) role.check();
            await sleep(50);
          }
        })();
        ctx.log(`load: submitting ${runs} runs, ${BATCH} at a time, following every ${FOLLOW_EVERY}th`);
        while (ids.length < runs) {
          const batch = await Promise.all(
            Array.from({ length: Math.min(BATCH, runs - ids.length) }, async () => {
              const t0 = performance.now();
              const id = await submitter.startRun("load");
              posts.push(performance.now() - t0);
              return id;
            }),
          );
          for (const id of batch) {
            if (ids.length % FOLLOW_EVERY === 0) followers.follow(id);
            ids.push(id);
          }
        }
        submitting = false;
        ctx.log("load: submitted; waiting for the runs to finish");
        await reading;
        seconds = (performance.now() - start) / 1000;
        followed = await followers.finish();
        const failed = (await submitter.listRuns("load")).filter((r) => r.status !== "succeeded");
        if (failed.length > 0) throw new BenchError(`load: ${failed.length} runs did not succeed`);
      } finally {
        followers.kill();
        submitter.close();
        reader.close();
        await cluster.stop();
      }
    } finally {
      await database.drop();
      await s3.close();
    }
    const getP95 = percentile(
      gets.map((g) => g.ms),
      95,
    );
    const postP95 = percentile(posts, 95);
    const lagP95 = followed.lagMs.p95;
    const duringSubmit = gets.filter((g) => g.submitting).map((g) => g.ms);
    ctx.log(
      `load: GET /runs p95 ${getP95.toFixed(0)} ms, POST p95 ${postP95.toFixed(0)} ms, follower lag ${JSON.stringify(followed.lagMs)} (${followed.lines} lines)`,
    );
    return {
      rows: [
        {
          workload: "load",
          backend: LABEL,
          measure: "GET /api/v1/runs p95 ms",
          value: getP95,
          target: "< 300",
          met: getP95 < 300,
        },
        {
          workload: "load",
          backend: LABEL,
          measure: "run submission p95 ms",
          value: postP95,
          target: "< 200",
          met: postP95 < 200,
        },
        {
          workload: "load",
          backend: LABEL,
          measure: "follower line lag p95 ms",
          value: lagP95,
          target: "< 1000",
          // Every line must arrive, too: a follower that misses lines has no lag to measure for them.
          met:
            lagP95 !== null &&
            lagP95 < 1000 &&
            followed.lagMs.max < 1000 &&
            followed.lines === (runs / FOLLOW_EVERY) * 10,
        },
      ],
      details: [
        {
          title: `load: ${runs} runs in ${seconds.toFixed(1)} s`,
          columns: [
            { title: "measure" },
            ...["count", "p50 ms", "p95 ms", "p99 ms", "max ms"].map((title) => ({ title, align: "right" })),
          ],
          rows: [
            ["POST /workflows/load/runs", String(posts.length), ...stats(posts)],
            ["GET /runs (whole load)", String(gets.length), ...stats(gets.map((g) => g.ms))],
            ["GET /runs (while submitting)", String(duringSubmit.length), ...stats(duringSubmit)],
            [
              `follower lag (${followed.followers} followers)`,
              String(followed.lines),
              ...[followed.lagMs.p50, followed.lagMs.p95, followed.lagMs.p99, followed.lagMs.max].map(String),
            ],
          ],
          notes: [
            `followers: ${followed.errors} socket errors, ${followed.notClosedNormally} not closed with 1000; lines expected ${(runs / FOLLOW_EVERY) * 10}`,
          ],
        },
      ],
    };
  },
};

function stats(values) {
  if (values.length === 0) return ["-", "-", "-", "-"];
  return [50, 95, 99, 100].map((p) => String(Math.round(percentile(values, p))));
}
