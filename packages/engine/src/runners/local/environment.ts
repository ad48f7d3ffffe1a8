import type { PreparedTask } from "@gantry/core";

/** The host variables a step inherits; everything else it sees is given to it explicitly. */
const INHERITED = ["PATH", "HOME"] as const;

/**
 * A step's environment: PATH, HOME, the GANTRY_* variables of the host (such as GANTRY_LOG_LEVEL), the
 * task's `env`, its inputs as INPUT_<NAME>, and the files it talks to Gantry through.
 */
export function stepEnvironment(
  task: PreparedTask,
  files: { inputs: string; output: string; summary?: string; workDir: string; actionDir?: string },
  runId: string,
  host: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED) {
    const value = host[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(host)) {
    if (name.startsWith("GANTRY_") && value !== undefined) env[name] = value;
  }
  Object.assign(env, task.env);
  for (const [name, value] of Object.entries(task.inputs)) {
    env[`INPUT_${inputVariableName(name)}`] =
      typeof value === "string" ? value : JSON.stringify(value ?? null);
  }
  Object.assign(env, {
    GANTRY_RUN_ID: runId,
    GANTRY_STEP_ID: task.step,
    GANTRY_ATTEMPT: String(task.attempt),
    GANTRY_WORKSPACE: files.workDir,
    GANTRY_INPUTS: files.inputs,
    GANTRY_OUTPUT: files.output,
    // Scripts written for GitHub Actions keep working.
    GITHUB_OUTPUT: files.output,
  });
  // Runners that read the summary back give its file; GITHUB_STEP_SUMMARY for scripts written for GitHub.
  if (files.summary)
    Object.assign(env, { GANTRY_STEP_SUMMARY: files.summary, GITHUB_STEP_SUMMARY: files.summary });
  if (task.item !== undefined) {
    env.GANTRY_ITEM = typeof task.item === "string" ? task.item : JSON.stringify(task.item);
    env.GANTRY_ITEM_INDEX = String(task.index);
  }
  if (files.actionDir) env.GANTRY_ACTION_PATH = files.actionDir;
  return env;
}

/** `target-env` -> `TARGET_ENV`, as GitHub Actions names INPUT_ variables. */
export function inputVariableName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
}
