// The UI's two performance goals: the runs list answers in under 300 ms with 100,000 runs in
// the store, and the first page the browser loads weighs under 500 KB gzipped.
//
// Runs list: 100,000 runs (10 workflows, every status and trigger, spread over 30 days) are written
// straight into a fresh store, then `gantry up` (SQLite) and `gantry server` (Postgres, when there is
// one) are started on it and GET /api/v1/runs is asked 30 times per query shape (after 5 warm-ups), one
// at a time on a keep-alive connection: loopback adds well under a millisecond, so this is server time.
// Shapes: the first page, each filter, all three filters together, and a page 50,000 runs deep.
//
// First page: what `/` loads, read from Vite's manifest: the entry chunk, its static imports and CSS,
// and the dashboard's lazy chunk with its imports, each gzipped at level 9 (what scripts/compress-ui.mjs
// serves).
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { BenchError } from "../lib/errors.mjs";
import { createDatabase, postgresUnavailable } from "../lib/postgres.mjs";
import {
  apiClient,
  encryptionKey,
  READY,
  roleEnvironment,
  startRole,
  startUp,
  writeConfig,
} from "../lib/service.mjs";

const RUNS = 100_000;
const TARGET_MS = 300;
const TARGET_KB = 500;
const WORKFLOWS = Array.from({ length: 10 }, (_, i) => `bench-ui-${i}`);
const STATUSES = [
  "succeeded",
  "succeeded",
  "succeeded",
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
  "running",
  "queued",
];
// Lengths 10, 9 and 7 are coprime, so every (workflow, status, trigger) combination occurs.
const TRIGGERS = ["api", "manual", "schedule", "schedule", "push", "webhook", "workflow_run"];
const DAY_MS = 86_400_000;

/** Writes the runs with the engine's own store (its migrations, its columns), 1,000 rows a statement. */
async function seed(root, location) {
  const engine = await import(path.join(root, "packages/engine/dist/index.js"));
  const database = await engine.openDatabase(location);
  try {
    await engine.migrate(database);
    const now = Date.now();
    for (let start = 0; start < RUNS; start += 1000) {
      const rows = [];
      for (let i = start; i < Math.min(RUNS, start + 1000); i++) {
        const created = now - Math.floor((i / RUNS) * 30 * DAY_MS);
        const trigger = TRIGGERS[i % TRIGGERS.length];
        const status = STATUSES[(i * 7) % STATUSES.length];
        rows.push({
          id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
          workflow: WORKFLOWS[i % WORKFLOWS.length],
          revision: "bench",
          status,
          trigger_json: JSON.stringify({ type: trigger }),
          trigger_type: trigger,
          inputs_json: "{}",
          secret_inputs: null,
          info_json: "{}",
          state_json: "null",
          outputs_json: null,
          error: null,
          attempt: 1,
          parent_run_id: null,
          concurrency_group: null,
          cancel_requested: 0,
          created_at: created,
          started_at: created + 5,
          finished_at: status === "running" || status === "queued" ? null : created + 1500,
        });
      }
      await database.db.insertInto("runs").values(rows).execute();
    }
  } finally {
    await database.close();
  }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function timeQueries(api, samples) {
  const deep = await findDeepCursor(api);
  const shapes = [
    ["first page (50)", "/runs?limit=50"],
    ["status=failed", "/runs?limit=50&status=failed"],
    ["workflow=…", `/runs?limit=50&workflow=${WORKFLOWS[3]}`],
    ["trigger=push", "/runs?limit=50&trigger=push"],
    ["all three filters", `/runs?limit=50&workflow=${WORKFLOWS[3]}&status=failed&trigger=push`],
    ["page 50,000 runs deep", `/runs?limit=50&cursor=${deep}`],
    ["dashboard", "/dashboard"],
  ];
  const results = [];
  for (const [label, route] of shapes) {
    const times = [];
    for (let i = 0; i < samples + 5; i++) {
      const t0 = performance.now();
      const res = await api.request("GET", route);
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new BenchError(`GET ${route}: ${res.status} ${res.text.slice(0, 300)}`);
      if (route.startsWith("/runs") && !(res.json.runs.length > 0))
        throw new BenchError(`GET ${route}: no runs in the answer`);
      if (i >= 5) times.push(ms);
    }
    times.sort((a, b) => a - b);
    results.push({ label, p50: percentile(times, 50), p95: percentile(times, 95) });
  }
  return results;
}

/** The cursor of the page that starts 50,000 runs down, by walking 500 at a time. */
async function findDeepCursor(api) {
  let cursor = null;
  for (let seen = 0; seen < 50_000; seen += 500) {
    const res = await api.request("GET", `/runs?limit=500${cursor ? `&cursor=${cursor}` : ""}`);
    if (res.status !== 200 || !res.json.next_cursor) throw new BenchError(`walking the runs: ${res.status}`);
    cursor = res.json.next_cursor;
  }
  return cursor;
}

async function firstPageKb(root) {
  const dist = path.join(root, "packages/ui/dist");
  let manifest;
  try {
    manifest = JSON.parse(await readFile(path.join(dist, ".vite/manifest.json"), "utf8"));
  } catch {
    throw new BenchError("packages/ui/dist/.vite/manifest.json missing: build the UI (npm run build)");
  }
  const files = new Set(["index.html"]);
  const visit = (key) => {
    const chunk = manifest[key];
    if (!chunk || files.has(chunk.file)) return;
    files.add(chunk.file);
    for (const css of chunk.css ?? []) files.add(css);
    for (const imported of chunk.imports ?? []) visit(imported);
  };
  visit("index.html");
  visit("src/pages/dashboard.tsx");
  let bytes = 0;
  for (const file of files) bytes += gzipSync(await readFile(path.join(dist, file)), { level: 9 }).length;
  return { kb: bytes / 1024, files: files.size };
}

export default {
  id: "ui",
  name: "UI: runs list at 100,000 runs, first-page weight",
  kind: "service",
  async measure(ctx) {
    const samples = ctx.quick ? 10 : 30;
    const rows = [];
    const details = [];
    const skipped = [];
    const bundle = await firstPageKb(ctx.root);
    rows.push({
      workload: "UI first page",
      backend: `${bundle.files} files`,
      measure: "KB gzipped",
      value: bundle.kb,
      target: `< ${TARGET_KB}`,
      met: bundle.kb < TARGET_KB,
    });

    const backends = [["SQLite (gantry up)", "sqlite"]];
    const unavailable = await postgresUnavailable();
    if (unavailable) skipped.push(`runs list on Postgres: no PostgreSQL (${unavailable})`);
    else backends.push(["Postgres (gantry server)", "postgres"]);
    for (const [label, kind] of backends) {
      const dir = path.join(ctx.workDir, `ui-${kind}`);
      let role;
      let database;
      try {
        ctx.log(`UI: writing ${RUNS.toLocaleString("en")} runs into ${label}`);
        if (kind === "sqlite") {
          await mkdir(dir, { recursive: true });
          await seed(ctx.root, path.join(dir, "gantry.db"));
          const config = path.join(dir, "gantry.yaml");
          await writeConfig(config, { lease: 30, poll: 5, concurrency: 4, grace: 2 });
          role = await startUp(ctx, { dir: path.join(ctx.root, "examples"), config, data: dir });
        } else {
          database = await createDatabase("ui");
          await seed(ctx.root, database.url);
          role = await startRole(
            ctx,
            "gantry server",
            "server",
            ["--migrate", "--database", database.url, "--port", "0"],
            {
              env: roleEnvironment({ GANTRY_ENCRYPTION_KEY: encryptionKey() }),
              cwd: ctx.workDir,
              ready: READY.server,
            },
          );
        }
        const api = apiClient(role.url, { maxSockets: 1 });
        try {
          const results = await timeQueries(api, samples);
          const worst = Math.max(...results.filter((r) => r.label !== "dashboard").map((r) => r.p95));
          rows.push({
            workload: "runs list, 100,000 runs",
            backend: label,
            measure: "worst p95 ms",
            value: worst,
            target: `< ${TARGET_MS}`,
            met: worst < TARGET_MS,
          });
          details.push({
            title: `GET /api/v1/… on ${label}, ${samples} samples each`,
            columns: [
              { title: "query" },
              { title: "p50 ms", align: "right" },
              { title: "p95 ms", align: "right" },
            ],
            rows: results.map((r) => [r.label, r.p50.toFixed(1), r.p95.toFixed(1)]),
          });
        } finally {
          api.close();
        }
      } finally {
        await role?.stop();
        await database?.drop();
      }
    }
    return { rows, details, skipped };
  },
};
