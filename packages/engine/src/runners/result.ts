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
 * A step that was stopped (cancelled, or timed out), the same on every runner: whatever outputs it wrote
 * before are kept, and its exit code is the one the stop left.
 */
export function stoppedResult(r: {
  reason: "timed_out" | "cancelled";
  exitCode: number | null;
  output: ReturnType<typeof parseOutputFile>;
  startedAt: number;
  finishedAt: number;
  error?: string | undefined;
}): RunnerResult {
  return {
    status: r.reason,
    exitCode: r.exitCode,
    outputs: r.output.outputs,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    ...(r.error !== undefined ? { error: r.error } : {}),
  };
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
