// `npm run bench`: each workload run through `gantry run` and through its floor (the same programs,
// no orchestration), warmed up once, repeated, reported as medians; then the service workloads (gantry
// up, server and workers: latency, throughput, idle load), each measuring itself. See bench/README.md.
import { execFileSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BenchError } from "./lib/errors.mjs";
import { formatSeconds, renderTable } from "./lib/table.mjs";
import { median } from "./lib/timing.mjs";
import { workloads } from "./workloads/index.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const workDir = path.join(root, "bench", ".work");

// Published by the issue "for the same workloads (other machines)"; it does not say which workload.
const ANCHORS = [
  ["Windmill", 4.383],
  ["Hatchet", 1.222],
  ["Temporal", 2.967],
  ["Kestra", 6.044],
  ["Airflow", 116],
];

// Published for the service workloads, also from other machines.
const SERVICE_ANCHORS = [
  ["Kestra (open source, 4 vCPUs)", "1500 executions per minute at 0.9 s latency"],
  ["Windmill", "about 50 ms overhead per job"],
  ["Windmill (users' reports)", "about 400 transactions per second on an idle database"],
];

const USAGE = `usage: node bench/run.mjs [--repeat N | --quick] [--only ${workloads.map((w) => w.id).join("|")}] [--json]`;

function parseOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        repeat: { type: "string" },
        quick: { type: "boolean", default: false },
        only: { type: "string", multiple: true },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw new BenchError(`${error.message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (values.quick && values.repeat !== undefined) throw new BenchError("use --quick or --repeat, not both");
  const repeat = values.quick ? 1 : Number(values.repeat ?? 3);
  if (!Number.isInteger(repeat) || repeat < 1) {
    throw new BenchError(`--repeat '${values.repeat}': must be a whole number of at least 1`);
  }
  const ids = (values.only ?? []).flatMap((v) => v.split(","));
  const unknown = ids.filter((id) => !workloads.some((w) => w.id === id));
  if (unknown.length > 0) {
    throw new BenchError(
      `--only ${unknown.join(",")}: unknown workload (${workloads.map((w) => w.id).join(", ")})`,
    );
  }
  const selected = ids.length > 0 ? workloads.filter((w) => ids.includes(w.id)) : workloads;
  return { repeat, quick: values.quick, selected, json: values.json };
}

/** The first `python3` on PATH, as a child process would find it. */
function whichPython() {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir || ".", "python3");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new BenchError("python3 is not on PATH; both sides of the python workloads need it");
}

function environment() {
  const python = whichPython();
  const run = (args) => execFileSync(python, args, { encoding: "utf8" }).trim();
  return {
    python3: python,
    python3Version: run(["--version"]),
    python3Executable: run(["-c", "import sys; print(sys.executable)"]),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: os.loadavg().map((n) => Number(n.toFixed(2))),
  };
}

const log = (text) => process.stderr.write(`${text}\n`);

async function measure(workload, ctx, repeat) {
  const gantry = [];
  const floor = [];
  const gantryCpu = [];
  const floorCpu = [];
  try {
    if (workload.prepare) await workload.prepare(ctx);
    // One untimed run first, so disk caches and python's first start do not land in sample 1.
    log(`${workload.name}: warm-up`);
    await workload.run({ ...ctx, sample: 0 });
    for (let i = 1; i <= repeat; i++) {
      const sample = await workload.run({ ...ctx, sample: i });
      gantry.push(sample.gantrySeconds);
      floor.push(sample.floorSeconds);
      if (typeof sample.gantryCpuSeconds === "number") gantryCpu.push(sample.gantryCpuSeconds);
      if (typeof sample.floorCpuSeconds === "number") floorCpu.push(sample.floorCpuSeconds);
      log(
        `${workload.name}: ${i}/${repeat} gantry ${formatSeconds(sample.gantrySeconds)} s, floor ${formatSeconds(sample.floorSeconds)} s`,
      );
    }
  } finally {
    // A workload that started a service stops it here, whether or not the samples went well.
    if (workload.teardown) await workload.teardown(ctx);
  }
  const gantrySeconds = median(gantry);
  const floorSeconds = median(floor);
  const ratio = gantrySeconds / floorSeconds;
  return {
    id: workload.id,
    name: workload.name,
    tasks: workload.tasks ?? null,
    // False where gantry's CLI does not start per sample (a run through the API of a running service).
    cliStartup: workload.cliStartup ?? true,
    gantrySeconds,
    floorSeconds,
    ratio,
    target: workload.target ?? null,
    met: workload.target === undefined ? null : ratio <= workload.target,
    gantryCpuSeconds: gantryCpu.length === repeat ? median(gantryCpu) : null,
    floorCpuSeconds: floorCpu.length === repeat ? median(floorCpu) : null,
    // Each pair ran back to back, so its ratio is less exposed to load drift than the ratio of medians.
    samples: { gantry, floor, gantryCpu, floorCpu, ratios: gantry.map((g, i) => g / floor[i]) },
  };
}

/**
 * What gantry adds, per workload of tasks: wall time (the table's difference) and CPU time of the whole
 * process tree, which a busy machine moves less. "less start-up" subtracts the start-up row's gantry
 * time, the fixed cost of one `gantry run`, to leave the cost of each step.
 */
function overheadTable(results) {
  const startup = results.find((r) => r.id === "startup");
  const rows = results
    .filter((r) => r.tasks)
    .map((r) => {
      const wall = r.gantrySeconds - r.floorSeconds;
      const cpu =
        r.gantryCpuSeconds === null || r.floorCpuSeconds === null
          ? null
          : r.gantryCpuSeconds - r.floorCpuSeconds;
      const perTask = (seconds, fixed) =>
        seconds === null || fixed === null ? "-" : (((seconds - fixed) / r.tasks) * 1000).toFixed(1);
      // Through the API there is no CLI start-up to take out: the per-task cost is all there is.
      const wallFixed = r.cliStartup ? (startup ? startup.gantrySeconds : null) : 0;
      const cpuFixed = r.cliStartup ? (startup?.gantryCpuSeconds ?? null) : 0;
      return [
        r.name,
        formatSeconds(wall),
        perTask(wall, 0),
        perTask(wall, wallFixed),
        formatSeconds(r.gantryCpuSeconds),
        formatSeconds(r.floorCpuSeconds),
        perTask(cpu, 0),
        perTask(cpu, cpuFixed),
      ];
    });
  if (rows.length === 0) return null;
  return renderTable(
    [
      { title: "gantry adds" },
      { title: "wall s", align: "right" },
      { title: "ms/task", align: "right" },
      { title: "less start-up", align: "right" },
      { title: "gantry cpu s", align: "right" },
      { title: "floor cpu s", align: "right" },
      { title: "cpu ms/task", align: "right" },
      { title: "less start-up", align: "right" },
    ],
    rows,
  );
}

/** A service workload's value as text: whole numbers for large ones, else one or two decimals. */
function formatValue(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "-";
  if (Number.isInteger(value) || Math.abs(value) >= 100) return value.toFixed(0);
  return Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function serviceReport(services) {
  const out = [];
  out.push(
    renderTable(
      [
        { title: "service workload" },
        { title: "backend" },
        { title: "measure" },
        { title: "value", align: "right" },
        { title: "target", align: "right" },
        { title: "result" },
      ],
      services.flatMap((s) => [
        ...s.rows.map((r) => [
          r.workload,
          r.backend,
          r.measure,
          formatValue(r.value),
          r.target ?? "-",
          r.met === null || r.met === undefined ? "" : r.met ? "ok" : "MISSED",
        ]),
        ...(s.skipped ?? []).map((reason) => [s.name, reason, "", "-", "-", "SKIPPED"]),
      ]),
    ),
  );
  for (const detail of services.flatMap((s) => s.details ?? [])) {
    if (detail.rows.length === 0) continue;
    out.push("", `${detail.title}:`, renderTable(detail.columns, detail.rows));
    for (const note of detail.notes ?? []) out.push(note);
  }
  out.push("", "published anchors for the service workloads (other machines, other setups):");
  out.push(
    renderTable(
      [{ title: "system" }, { title: "reported" }],
      SERVICE_ANCHORS.map(([name, text]) => [name, text]),
    ),
  );
  return out;
}

function printReport(env, repeat, results, services) {
  const out = [];
  out.push(
    `python3 ${env.python3} (${env.python3Version}, ${env.python3Executable}) · node ${env.node} · ${env.cpus} CPUs (${env.cpuModel}) · ${env.platform}`,
  );
  const load = (values) => values.map((n) => n.toFixed(2)).join(" ");
  const how =
    results.length > 0
      ? `median of ${repeat} run${repeat === 1 ? "" : "s"} after one warm-up; seconds of wall time`
      : "service workloads: each warms up and samples by itself";
  out.push(`${how}; load average ${load(env.loadAverage)} at start, ${load(env.loadAverageAtEnd)} at end`);
  if (results.length > 0) {
    out.push("");
    out.push(
      renderTable(
        [
          { title: "workload" },
          { title: "gantry s", align: "right" },
          { title: "floor s", align: "right" },
          { title: "ratio", align: "right" },
          { title: "target", align: "right" },
          { title: "result" },
        ],
        results.map((r) => [
          r.name,
          formatSeconds(r.gantrySeconds),
          formatSeconds(r.floorSeconds),
          r.ratio.toFixed(2),
          r.target === null ? "-" : `<= ${r.target}`,
          r.met === null ? "" : r.met ? "ok" : "MISSED",
        ]),
      ),
    );
    const overhead = overheadTable(results);
    if (overhead) out.push("", overhead);
    out.push("", "published anchors (other machines):");
    out.push(
      renderTable(
        [{ title: "system" }, { title: "seconds", align: "right" }],
        ANCHORS.map(([name, s]) => [name, formatSeconds(s)]),
      ),
    );
  }
  if (services.length > 0) out.push("", ...serviceReport(services));
  process.stdout.write(`${out.join("\n")}\n`);
}

async function main() {
  const { repeat, quick, selected, json } = parseOptions(process.argv.slice(2));
  // bin/gantry.js (what the bench starts) runs the bundle; dist/main.js is what the bundle is made of.
  for (const built of ["main.js", path.join("bundle", "gantry.js")]) {
    if (!existsSync(path.join(root, "packages", "cli", "dist", built))) {
      throw new BenchError(
        `packages/cli/dist/${built} is missing: run \`npm run build\` (or use \`npm run bench\`)`,
      );
    }
  }
  const env = environment();
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const results = [];
  const services = [];
  // `services`: the service workloads measured so far in this run (`peers` compares with gantry's).
  const ctx = { root, workDir, quick, log, services };
  for (const workload of selected) {
    if (workload.kind === "service") {
      // A service workload does its own warm-up and repeats; it reports rows, not gantry/floor pairs.
      log(`${workload.name}: starting`);
      services.push({ id: workload.id, name: workload.name, ...(await workload.measure(ctx)) });
    } else {
      results.push(await measure(workload, ctx, repeat));
    }
  }
  // A busy machine (a build next door) slows python starts on both sides but not equally: say so.
  env.loadAverageAtEnd = os.loadavg().map((n) => Number(n.toFixed(2)));
  if (json) {
    const anchors = Object.fromEntries(ANCHORS);
    const serviceAnchors = Object.fromEntries(SERVICE_ANCHORS);
    process.stdout.write(
      `${JSON.stringify({ environment: env, repeat, quick, results, services, anchors, serviceAnchors }, null, 2)}\n`,
    );
  } else {
    printReport(env, repeat, results, services);
  }
}

main().catch((error) => {
  if (error instanceof BenchError) process.stderr.write(`bench: ${error.message}\n`);
  else process.stderr.write(`bench: ${error.stack ?? error}\n`);
  process.exit(1);
});
