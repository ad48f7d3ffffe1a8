// Work per step against the workflow's size: runs of 10, 100 and 1000 trivial steps (`run: "true"`), as a
// chain (each step needs the one before) and as a fan-out (no needs: the worker runs 4 at once), on
// `gantry up` (SQLite, its in-process worker), started through the API and timed from just before the
// POST to the run's finished_at. The cost per step should not grow with the workflow: each size's
// per-step cost is divided by the smallest one's, and the pass mark is at most 1.5.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { BenchError } from "../lib/errors.mjs";
import { apiClient, epochMs, startUp, waitForRun, writeConfig } from "../lib/service.mjs";
import { childProcessesCpuSeconds, processCpuSeconds, wallClock } from "../lib/timing.mjs";

// GANTRY_BENCH_SCALE_SIZES: other sizes, comma-separated, smallest first (e.g. 10,100,1000,10000).
const SIZES = (process.env.GANTRY_BENCH_SCALE_SIZES ?? "10,100,1000").split(",").map(Number);
if (SIZES.some((n) => !Number.isInteger(n) || n < 1))
  throw new BenchError(`GANTRY_BENCH_SCALE_SIZES: whole numbers of steps, comma-separated`);
const TARGET = 1.5;
const SHAPES = ["chain", "fan-out"];

function workflowYaml(name, shape, n) {
  const lines = [`name: ${name}`, "steps:"];
  for (let i = 0; i < n; i++) {
    lines.push(`  s${i}:`);
    if (shape === "chain" && i > 0) lines.push(`    needs: s${i - 1}`);
    lines.push(`    run: "true"`);
  }
  return `${lines.join("\n")}\n`;
}

const workflowName = (shape, n) => `bench-scale-${shape}-${n}`;

/** CPU seconds of `gantry up`, its spawner helper and the steps; null without /proc. */
function serviceCpu(pid) {
  const cpu = processCpuSeconds(pid);
  if (!cpu) return null;
  const helper = childProcessesCpuSeconds(pid);
  return cpu.self + cpu.children + helper.self + helper.children;
}

async function oneRun(service, shape, n) {
  const { up, api } = service;
  const name = workflowName(shape, n);
  const clock = wallClock();
  const cpuBefore = serviceCpu(up.pid);
  const t0 = clock();
  const id = await api.startRun(name);
  // finished_at gives the time, so a slow poll costs no accuracy and the service little CPU.
  const run = await waitForRun(api, id, { roles: [up], everyMs: Math.max(200, n), timeoutMs: 1_800_000 });
  const cpuAfter = serviceCpu(up.pid);
  const steps = Object.values(run.steps ?? {});
  const bad = steps.filter((s) => s.status !== "succeeded").length;
  if (run.status !== "succeeded" || steps.length !== n || bad > 0)
    throw new BenchError(
      `${name}: run ${id} ${run.status}, ${steps.length} steps, ${bad} not succeeded${run.error ? `: ${run.error}` : ""}\n${up.log()}`,
    );
  return {
    seconds: (epochMs(run.finished_at) - t0) / 1000,
    cpuSeconds: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
  };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

export default {
  id: "scale",
  name: "work per step against workflow size",
  kind: "service",
  async measure(ctx) {
    const dir = path.join(ctx.workDir, "scale");
    const wfDir = path.join(dir, "workflows");
    await mkdir(wfDir, { recursive: true });
    for (const shape of SHAPES)
      for (const n of SIZES)
        await writeFile(
          path.join(wfDir, `${shape}-${n}.yaml`),
          workflowYaml(workflowName(shape, n), shape, n),
        );
    const config = path.join(dir, "gantry.yaml");
    await writeConfig(config, { lease: 30, poll: 5, concurrency: 4, grace: 2 });
    const up = await startUp(ctx, { dir: wfDir, config, data: path.join(dir, "data") });
    const service = { up, api: apiClient(up.url) };
    // GANTRY_BENCH_SCALE_SAMPLES: samples per size (default 3, --quick 1), after one warm-up run of the smallest size.
    const samples = Number(process.env.GANTRY_BENCH_SCALE_SAMPLES ?? (ctx.quick ? 1 : 3));
    const results = [];
    try {
      for (const shape of SHAPES) await oneRun(service, shape, SIZES[0]);
      for (const shape of SHAPES) {
        for (const n of SIZES) {
          const wall = [];
          const cpu = [];
          for (let i = 0; i < samples; i++) {
            ctx.log(`scale: ${shape} of ${n}, sample ${i + 1}/${samples}`);
            const r = await oneRun(service, shape, n);
            wall.push((r.seconds * 1000) / n);
            if (r.cpuSeconds !== null) cpu.push((r.cpuSeconds * 1000) / n);
          }
          results.push({ shape, n, ms: median(wall), cpuMs: cpu.length ? median(cpu) : null });
        }
      }
    } finally {
      service.api.close();
      await up.stop();
    }
    const rows = [];
    const detail = [];
    for (const shape of SHAPES) {
      const mine = results.filter((r) => r.shape === shape);
      const smallest = mine[0];
      for (const r of mine) {
        const ratio = r.ms / smallest.ms;
        const cpuRatio = r.cpuMs !== null && smallest.cpuMs !== null ? r.cpuMs / smallest.cpuMs : null;
        detail.push([
          shape,
          String(r.n),
          r.ms.toFixed(2),
          ratio.toFixed(2),
          r.cpuMs === null ? "-" : r.cpuMs.toFixed(2),
          cpuRatio === null ? "-" : cpuRatio.toFixed(2),
        ]);
        if (r === smallest) continue;
        rows.push({
          workload: `scale: ${shape}`,
          backend: "sqlite",
          measure: `${r.n} steps: ms per step / ${smallest.n} steps'`,
          value: ratio,
          target: `<= ${TARGET}`,
          met: ratio <= TARGET,
        });
      }
    }
    return {
      rows,
      details: [
        {
          title: "scale: per-step cost (wall and CPU ms per step, medians; ratio to the smallest run)",
          columns: [
            { title: "shape" },
            { title: "steps", align: "right" },
            { title: "wall ms/step", align: "right" },
            { title: "ratio", align: "right" },
            { title: "cpu ms/step", align: "right" },
            { title: "cpu ratio", align: "right" },
          ],
          rows: detail,
          notes: [
            `gantry up (SQLite), worker concurrency 4, each step \`run: "true"\`; ${samples} sample(s) per size.`,
            "CPU is gantry up's, its spawner helper's and the steps' (from /proc): it moves less with the machine's load.",
          ],
        },
      ],
    };
  },
};
