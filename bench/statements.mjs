// What one run costs the queue, without the HTTP server or separate processes in the way: the
// two-step trivial workflow of the throughput workload, created with startRun (as the API does) and run
// by in-process workers on a fresh Postgres database, at a fixed rate. Prints the SQL statements per run (by
// statement), this process's CPU milliseconds per run and its database's Postgres backends' (from
// /proc): numbers the machine's load barely moves,
// for comparing changes to the queue's queries.
//
//   npx tsc -b packages/cli && node bench/statements.mjs
//   RUNS=300 RATE=50 WORKERS=2 SPAWNER=helper node bench/statements.mjs
//
// SPLIT=1: runs are created as a server process would create them (a context of their own, with no
// workers to hand a first task to and no state cache shared with the workers): the workers then wake on
// NOTIFY, claim and start, as in the bench's server and worker processes.
// SPAWNER: inline (steps forked by this process) or helper (the workers' spawner helpers, whose CPU
// is printed apart). STEP_ROOT: where step folders are made (the OS temporary folder by default, as
// for the bench's workers); a tmpfs there (/dev/shm) tells the file system's share of the helpers' CPU.
// Postgres from GANTRY_BENCH_POSTGRES, as for the bench.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  adminClient,
  backendCpuBetween,
  backendCpuSeconds,
  createDatabase,
  postgresUnavailable,
} from "./lib/postgres.mjs";
import { childProcessesCpuSeconds } from "./lib/timing.mjs";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const RUNS = Number(process.env.RUNS ?? 200);
const RATE = Number(process.env.RATE ?? 50);
const WORKERS = Number(process.env.WORKERS ?? 2);
const SPAWNER = process.env.SPAWNER ?? "helper";
const SPLIT = process.env.SPLIT === "1";

const unavailable = await postgresUnavailable();
if (unavailable) {
  process.stderr.write(`bench/statements.mjs: no PostgreSQL (${unavailable})\n`);
  process.exit(1);
}
const E = await import(path.join(root, "packages/engine/dist/index.js"));
const pg = (await import("pg")).default;

// Counts every statement any pg client of this process sends, by its text (whitespace folded).
const counts = new Map();
let counting = false;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (text, ...rest) {
  if (counting) {
    const sql = (typeof text === "string" ? text : (text?.text ?? "?")).replace(/\s+/g, " ");
    const key = sql.length > 100 ? `${sql.slice(0, 100)}…` : sql;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return query.call(this, text, ...rest);
};

const dir = await mkdtemp(path.join(os.tmpdir(), "gantry-statements-"));
const stepRoot = process.env.STEP_ROOT
  ? await mkdtemp(path.join(process.env.STEP_ROOT, "gantry-statements-"))
  : dir;
const database = await createDatabase("statements");
const store = await E.openDatabase(database.url);
const workers = [];
let notifier;
try {
  await E.migrate(store);
  notifier = await E.PgNotifier.start(database.url, store.pool);
  const ctx = {
    database: store,
    box: new E.SecretBox(randomBytes(32)),
    notifier,
    now: () => Date.now(),
    ...E.processState(),
  };
  // The creating side: the workers' context, or one of its own (SPLIT: a server's).
  const creator = SPLIT ? { ...ctx, ...E.processState() } : ctx;
  await mkdir(path.join(dir, "workflows"));
  await writeFile(
    path.join(dir, "workflows", "two.yaml"),
    'name: two\nsteps:\n  a:\n    run: "true"\n  b:\n    needs: [a]\n    run: "true"\n',
  );
  await E.registerFolder(ctx, path.join(dir, "workflows"));
  for (let i = 0; i < WORKERS; i++) {
    const archiver = new E.LogArchiver(
      ctx,
      new E.LocalLogArchive(path.join(dir, "logs")),
      path.join(dir, "spool"),
    );
    const worker = E.createWorker(ctx, {
      id: `worker-${i}`,
      concurrency: 8,
      cacheDir: path.join(dir, `cache-${i}`),
      runner: new E.LocalRunner({ tmpRoot: stepRoot, spawner: SPAWNER }),
      logs: { archiver },
      onError: (error) => process.stderr.write(`worker: ${error.message}\n`),
    });
    await worker.start();
    workers.push(worker);
  }

  /** Starts `count` runs at `rate` a second and waits until none is active; the completion latencies. */
  const offer = async (count, rate) => {
    const asked = new Map();
    const start = performance.now();
    const pending = [];
    for (let i = 0; i < count; i++) {
      const wait = start + (i * 1000) / rate - performance.now();
      if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const t0 = Date.now();
      pending.push(E.startRun(creator, { workflow: "two" }).then(({ id }) => asked.set(id, t0)));
    }
    await Promise.all(pending);
    for (;;) {
      const active = await store.db
        .selectFrom("runs")
        .select("id")
        .where("status", "in", ["pending", "queued", "running"])
        .limit(1)
        .execute();
      if (active.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const rows = await store.db.selectFrom("runs").select(["id", "status", "finished_at"]).execute();
    const failed = rows.filter((r) => asked.has(r.id) && r.status !== "succeeded").length;
    const latencies = rows
      .filter((r) => asked.has(r.id))
      .map((r) => (r.finished_at - asked.get(r.id)) / 1000)
      .sort((a, b) => a - b);
    return { failed, latencies };
  };

  await offer(20, 10); // warm-up: pools, caches, the JIT
  counting = true;
  const admin = await adminClient();
  const pgBefore = await backendCpuSeconds(admin, database.name);
  const cpuBefore = process.cpuUsage();
  const helpersBefore = childProcessesCpuSeconds(process.pid).self;
  const { failed, latencies } = await offer(RUNS, RATE);
  const cpu = process.cpuUsage(cpuBefore);
  const pgMs = backendCpuBetween(pgBefore, await backendCpuSeconds(admin, database.name)) * 1000;
  await admin.end();
  const helpersMs = (childProcessesCpuSeconds(process.pid).self - helpersBefore) * 1000;
  counting = false;
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))];
  console.log(
    `${RUNS} runs at ${RATE}/s, ${WORKERS} workers x 8, spawner ${SPAWNER}${SPLIT ? ", split" : ""}: ${failed} failed, ` +
      `completion p50 ${at(50).toFixed(3)} s, p95 ${at(95).toFixed(3)} s`,
  );
  console.log(
    `cpu ms/run of this process: ${((cpu.user + cpu.system) / 1000 / RUNS).toFixed(2)}; ` +
      `${SPAWNER === "helper" ? `spawner helpers: ${(helpersMs / RUNS).toFixed(2)}; ` : ""}` +
      `postgres backends: ${(pgMs / RUNS).toFixed(2)}; statements/run: ${(total / RUNS).toFixed(2)}` +
      (process.env.STEP_ROOT ? ` (step folders in ${process.env.STEP_ROOT})` : ""),
  );
  for (const [sql, n] of [...counts].sort((a, b) => b[1] - a[1])) {
    console.log(`${(n / RUNS).toFixed(2).padStart(7)}  ${sql}`);
  }
} finally {
  for (const worker of workers) await worker.stop();
  await notifier?.close();
  await store.close();
  await database.drop();
  await rm(dir, { recursive: true, force: true });
  await rm(stepRoot, { recursive: true, force: true });
}
