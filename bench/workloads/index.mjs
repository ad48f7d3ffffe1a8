// Every workload, in table order. A workload module's default export is
//   { id, name, target?, tasks?, cliStartup?, prepare?(ctx), run(ctx) -> Promise<{gantrySeconds, floorSeconds}>,
//     teardown?(ctx) }
// (`run` may add gantryCpuSeconds and floorCpuSeconds: CPU time of each side's process tree)
// where `run` takes one sample of both sides (run.mjs warms up, repeats and takes medians, then calls
// `teardown` whatever happened) and `ctx` is { root, workDir, sample, quick, log }: the repository root,
// bench/.work/ (fresh on every bench run), the sample number (0 for the warm-up), which workloads may use
// to alternate the order of the two sides, --quick, and a progress logger (stderr).
// A service workload is { id, name, kind: "service", measure(ctx) -> Promise<{rows, details?, skipped?}> }:
// it warms up and samples by itself (see bench/README.md, "Service workloads").
import apiLight from "./api-light.mjs";
import dockerStep from "./docker-step.mjs";
import idle from "./idle.mjs";
import latency from "./latency.mjs";
import light from "./light-tasks.mjs";
import load from "./load.mjs";
import logs from "./logs.mjs";
import long from "./long-tasks.mjs";
import peers from "./peers.mjs";
import rabbitmqTrigger from "./rabbitmq-trigger.mjs";
import scale from "./scale.mjs";
import scheduler from "./scheduler.mjs";
import startup from "./startup.mjs";
import throughput from "./throughput.mjs";
import ui from "./ui.mjs";
import uiLogs from "./ui-logs.mjs";
import upReady from "./up-ready.mjs";
import validateScale from "./validate-scale.mjs";

export const workloads = [
  light,
  long,
  startup,
  upReady,
  apiLight,
  latency,
  throughput,
  peers,
  load,
  idle,
  scheduler,
  logs,
  dockerStep,
  rabbitmqTrigger,
  ui,
  uiLogs,
  validateScale,
  scale,
];
