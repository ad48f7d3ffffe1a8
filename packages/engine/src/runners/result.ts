import type { parseOutputFile } from "@gantry/core";
import type { RunnerResult } from "./types.js";

/** A step that never reached an exit code: a bad runner spec, an engine or API error. */
export function failedResult(
  startedAt: number,
  error: string,
  status: RunnerResult["status"] = "failed",
): RunnerResult {
  return { status, exitCode: null, outputs: {}, error, startedAt, finishedAt: Date.now() };
}

/**
 * A step whose process exited by itself, the same on every runner: succeeded on 0, failed otherwise
 * (`hint` adds what the runner knows of the cause), and failed when it wrote a bad $GANTRY_OUTPUT.
 */
export function exitResult(r: {
  exitCode: number | null;
  output: ReturnType<typeof parseOutputFile>;
  startedAt: number;
  finishedAt: number;
  hint?: string;
}): RunnerResult {
  if (r.output.errors.length > 0) {
    return {
      ...failedResult(r.startedAt, `invalid $GANTRY_OUTPUT: ${r.output.errors.join("; ")}`),
      exitCode: r.exitCode,
    };
  }
  const status = r.exitCode === 0 ? "succeeded" : "failed";
  return {
    status,
    exitCode: r.exitCode,
    outputs: r.output.outputs,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    ...(status === "failed" ? { error: `exited with code ${r.exitCode}${r.hint ?? ""}` } : {}),
  };
}
