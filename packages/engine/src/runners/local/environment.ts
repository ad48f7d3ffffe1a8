import type { PreparedTask } from "@gantry/core";

/**
 * The host variables a local step inherits: what programs need to find themselves and speak the
 * locale, none of which holds a credential. Everything else it sees is given to it explicitly.
 */
export const INHERITED = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR"] as const;

/** Worker settings that are meant for steps (the terraform action's plan folder), and hold no credential. */
const STEP_SETTINGS = ["GANTRY_TERRAFORM_PLANS"] as const;

/**
 * Extra host variables an operator lets local steps see, comma-separated (`GANTRY_STEP_ENV=HTTP_PROXY,
 * NO_PROXY`). Names starting with GANTRY_ are never passed: they are the server's and worker's own
 * settings (the database URL, the encryption key, OIDC and S3 credentials).
 */
export const STEP_ENV_SETTING = "GANTRY_STEP_ENV";

/** The host variable names a local step inherits, the operator's additions included. */
export function inheritedNames(host: NodeJS.ProcessEnv): string[] {
  const extra = (host[STEP_ENV_SETTING] ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "" && !name.startsWith("GANTRY_"));
  return [...INHERITED, ...STEP_SETTINGS, ...extra];
}

/**
 * A step's environment: the allow-listed host variables (see INHERITED), the task's `env`, its inputs
 * as INPUT_<NAME>, and the files it talks to Gantry through. The worker's GANTRY_* settings never reach
 * a step: anyone who can push a workflow would otherwise read the store's credentials.
 */
export function stepEnvironment(
  task: PreparedTask,
  files: { inputs: string; output: string; summary?: string; workDir: string; actionDir?: string },
  runId: string,
  host: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of inheritedNames(host)) {
    const value = host[name];
    if (value !== undefined) env[name] = value;
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
