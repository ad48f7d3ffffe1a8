import type { PreparedTask } from "@gantry/core";
import { stepEnvironment } from "../local/environment.js";
import { CONTAINER_PATHS, type StepPaths } from "./command.js";

/**
 * A containerised step's environment: the runner's `env`, then what a local step gets (the task's env,
 * INPUT_<NAME>, GANTRY_* paths) with the paths inside the container. Nothing of the worker's own
 * environment is passed: its PATH means nothing in the image, and its variables may hold credentials.
 */
export function containerEnvironment(
  task: PreparedTask,
  runId: string,
  hasAction: boolean,
  extra: Record<string, string> = {},
  paths: StepPaths = CONTAINER_PATHS,
): Record<string, string> {
  const runnerEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(task.runner?.env ?? {})) {
    runnerEnv[name] = value === null ? "" : String(value);
  }
  const step = stepEnvironment(
    task,
    {
      inputs: paths.inputs,
      output: paths.output,
      summary: paths.summary,
      workDir: CONTAINER_PATHS.work,
      ...(hasAction ? { actionDir: paths.action } : {}),
    },
    runId,
    {},
  );
  return { ...runnerEnv, ...extra, ...step };
}

/** `KEY=value` pairs, as the Docker API and `docker run -e` take them. */
export function envList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([name, value]) => `${name}=${value}`);
}
