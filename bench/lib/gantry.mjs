// Running a generated workflow through the real CLI, as a user would, process start included.
import { BenchError, tail } from "./errors.mjs";
import { timeProcess } from "./timing.mjs";

/** The launcher, relative to the repository root (the child's working folder). */
export const GANTRY_BIN = "packages/cli/bin/gantry.js";

/**
 * Runs `gantry run <file> --json` and returns `{seconds, cpuSeconds}` (wall, and CPU of the process
 * tree). Fails loudly unless the run
 * succeeded and every one of `expectedSteps` is there and succeeded: a fast failure is not a result.
 */
export async function runGantryWorkflow(ctx, file, expectedSteps) {
  const result = await timeProcess(process.execPath, [GANTRY_BIN, "run", file, "--json"], {
    cwd: ctx.root,
    env: process.env,
  });
  const where = `gantry run ${file}`;
  let report;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    throw new BenchError(
      `${where}: exit code ${result.code}, stdout is not JSON\n${tail(result.stdout)}\n${tail(result.stderr)}`,
    );
  }
  const steps = report.steps ?? {};
  const bad = expectedSteps.filter((id) => steps[id]?.status !== "succeeded");
  if (result.code !== 0 || report.status !== "succeeded" || bad.length > 0) {
    const detail = bad
      .slice(0, 5)
      .map((id) => `  ${id}: ${steps[id] ? `${steps[id].status} (exit ${steps[id].exit_code})` : "missing"}`)
      .join("\n");
    throw new BenchError(
      `${where}: exit code ${result.code}, status "${report.status}"` +
        `${bad.length > 0 ? `, ${bad.length} step(s) did not succeed:\n${detail}` : ""}\n${tail(result.stderr)}`,
    );
  }
  return { seconds: result.seconds, cpuSeconds: result.cpuSeconds };
}

/** Runs `bash <script>` and returns `{seconds, cpuSeconds, stdout}`; fails loudly on a non-zero exit. */
export async function runFloorScript(script, cwd) {
  const result = await timeProcess("bash", [script], { cwd, env: process.env });
  if (result.code !== 0) {
    throw new BenchError(
      `bash ${script}: exit code ${result.code ?? result.signal}\n${tail(result.stdout)}\n${tail(result.stderr)}`,
    );
  }
  return { seconds: result.seconds, cpuSeconds: result.cpuSeconds, stdout: result.stdout };
}
