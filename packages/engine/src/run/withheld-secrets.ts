import type { PreparedTask } from "@gantry/core";
import { isSecretRef } from "../secrets/index.js";

/**
 * `trigger.secrets_withheld`: set true on runs of pull requests from forks (unless the workflow's
 * `on.pull_request.forks.secrets` is true). Such a run resolves no secret: `secrets.*` are empty, and
 * every reference in a step's `env`, `with` and `runner` (the source's checkout credentials are such
 * references) becomes "". The fork's code runs; the source's credentials never reach it.
 */
export const SECRETS_WITHHELD = "secrets_withheld";

export function secretsWithheld(trigger: Record<string, unknown>): boolean {
  return trigger[SECRETS_WITHHELD] === true;
}

export const WITHHELD_NOTICE =
  "gantry: this run is from a pull request of a fork: it runs without the source's secrets and credentials (on.pull_request.forks.secrets: true gives them)";

/** The task with every secret reference in its env, inputs and runner replaced by "". */
export function withoutSecretRefs(task: PreparedTask): PreparedTask {
  const strip = (value: unknown): unknown => {
    if (typeof value === "string") return isSecretRef(value) ? "" : value;
    if (Array.isArray(value)) return value.map(strip);
    if (value !== null && typeof value === "object")
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v)]));
    return value;
  };
  return {
    ...task,
    env: strip(task.env) as PreparedTask["env"],
    inputs: strip(task.inputs) as PreparedTask["inputs"],
    ...(task.runner ? { runner: strip(task.runner) as PreparedTask["runner"] } : {}),
  };
}
