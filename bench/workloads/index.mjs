// Every workload, in table order. A workload module's default export is
//   { id, name, target?, tasks?, prepare?(ctx), run(ctx) -> Promise<{gantrySeconds, floorSeconds}> }
// (`run` may add gantryCpuSeconds and floorCpuSeconds: CPU time of each side's process tree)
// where `run` takes one sample of both sides (run.mjs warms up, repeats and takes medians) and `ctx` is
// { root, workDir, sample }: the repository root, bench/.work/ (fresh on every bench run), and the
// sample number (0 for the warm-up), which workloads may use to alternate the order of the two sides.
import light from "./light-tasks.mjs";
import long from "./long-tasks.mjs";
import startup from "./startup.mjs";

export const workloads = [light, long, startup];
