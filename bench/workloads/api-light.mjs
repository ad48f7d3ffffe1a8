// The core benchmark through the service: the "40 light tasks" workflow registered with `gantry up`
// (SQLite, its in-process worker) and started through the API, timed from just before the POST to the
// run's finished_at. Nothing starts per sample, so this is the orchestration cost per step of a running
// service, against the same floor as the `light` workload (the same programs from a bash script).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { BenchError } from "../lib/errors.mjs";
import { runFloorScript } from "../lib/gantry.mjs";
import { fib, fibProgram, floorScript, stepIds, workflowYaml } from "../lib/sequential-python.mjs";
import { apiClient, epochMs, startUp, waitForRun, writeConfig } from "../lib/service.mjs";
import { childProcessesCpuSeconds, processCpuSeconds, wallClock } from "../lib/timing.mjs";

const TASKS = 40;
const K = 10;
const WORKFLOW = "bench-api-light";

let service;

/**
 * CPU seconds of `gantry up`, of its step spawner helper (a live child) and of the steps they ran (and
 * reaped); null without /proc.
 */
function serviceCpu(pid) {
  const cpu = processCpuSeconds(pid);
  if (!cpu) return null;
  const helper = childProcessesCpuSeconds(pid);
  return cpu.self + cpu.children + helper.self + helper.children;
}

async function viaApi() {
  const { up, api } = service;
  const clock = wallClock();
  const cpuBefore = serviceCpu(up.pid);
  const t0 = clock();
  const id = await api.startRun(WORKFLOW);
  // The time comes from finished_at, so polling slowly costs no accuracy, and the service little CPU.
  const run = await waitForRun(api, id, { roles: [up], everyMs: 200, timeoutMs: 600_000 });
  const cpuAfter = serviceCpu(up.pid);
  const bad = service.ids.filter((step) => run.steps?.[step]?.status !== "succeeded");
  if (run.status !== "succeeded" || bad.length > 0) {
    throw new BenchError(
      `${WORKFLOW}: run ${id} ${run.status}${bad.length ? `, ${bad.length} step(s) did not succeed (first: ${bad[0]})` : ""}` +
        `${run.error ? `: ${run.error}` : ""}\n${up.log()}`,
    );
  }
  return {
    seconds: (epochMs(run.finished_at) - t0) / 1000,
    cpuSeconds: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
  };
}

export default {
  id: "api-light",
  name: "40 light tasks (API, gantry up)",
  target: 1.25,
  tasks: TASKS,
  cliStartup: false,
  async prepare(ctx) {
    const dir = path.join(ctx.workDir, "api-light");
    const wfDir = path.join(dir, "workflows");
    await mkdir(wfDir, { recursive: true });
    const files = {
      dir,
      program: path.join(dir, `fib${K}.py`),
      floor: path.join(dir, "floor.sh"),
      config: path.join(dir, "gantry.yaml"),
    };
    await writeFile(files.program, fibProgram(K));
    await writeFile(files.floor, floorScript({ tasks: TASKS, programPath: files.program }));
    await writeFile(
      path.join(wfDir, "light.yaml"),
      workflowYaml({
        name: WORKFLOW,
        description: `${TASKS} sequential python steps, each computing fib(${K})`,
        tasks: TASKS,
        k: K,
      }),
    );
    await writeConfig(files.config, { lease: 30, poll: 5, concurrency: 4, grace: 2 });
    const up = await startUp(ctx, { dir: wfDir, config: files.config, data: path.join(dir, "data") });
    service = { up, api: apiClient(up.url), files, ids: stepIds(TASKS), expected: String(fib(K)) };
  },
  async run(ctx) {
    const { files } = service;
    // Alternate which side goes first, so a load change on a shared machine hits both sides alike.
    let gantry;
    let floor;
    if (ctx.sample % 2 === 0) {
      gantry = await viaApi();
      floor = await runFloorScript(files.floor, files.dir);
    } else {
      floor = await runFloorScript(files.floor, files.dir);
      gantry = await viaApi();
    }
    const answers = floor.stdout.split("\n").filter((line) => line.trim() === service.expected).length;
    if (answers !== TASKS) {
      throw new BenchError(
        `bash ${files.floor}: expected ${TASKS} lines "${service.expected}", got ${answers}`,
      );
    }
    return {
      gantrySeconds: gantry.seconds,
      floorSeconds: floor.seconds,
      gantryCpuSeconds: gantry.cpuSeconds,
      floorCpuSeconds: floor.cpuSeconds,
    };
  },
  async teardown() {
    if (!service) return;
    service.api.close();
    await service.up.stop();
    service = undefined;
  },
};
