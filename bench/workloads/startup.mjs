// How much of gantry's overhead is just starting Node and loading the CLI's modules: `gantry --version`
// against an empty Node program. Subtract it from a workload's overhead to see the per-step cost.
import { BenchError, tail } from "../lib/errors.mjs";
import { GANTRY_BIN } from "../lib/gantry.mjs";
import { timeProcess } from "../lib/timing.mjs";

async function timed(ctx, args) {
  const result = await timeProcess(process.execPath, args, { cwd: ctx.root, env: process.env });
  if (result.code !== 0) {
    throw new BenchError(
      `node ${args.join(" ")}: exit code ${result.code ?? result.signal}\n${tail(result.stderr)}`,
    );
  }
  return result;
}

export default {
  id: "startup",
  name: "gantry start-up (--version)",
  // `gantry --version` within three times an empty Node program.
  target: 3,
  async run(ctx) {
    const gantry = await timed(ctx, [GANTRY_BIN, "--version"]);
    const floor = await timed(ctx, ["-e", "0"]);
    return {
      gantrySeconds: gantry.seconds,
      floorSeconds: floor.seconds,
      gantryCpuSeconds: gantry.cpuSeconds,
      floorCpuSeconds: floor.cpuSeconds,
    };
  },
};
