import type { PreparedTask, WorkflowSpec } from "@gantry/core";
import { type ResolveOptions, resolveRefsDeep, resolveSecretRef } from "../secrets/index.js";

/**
 * Resolves the workflow's `secrets:` block (name -> reference) for `${{ secrets.NAME }}`. Values that
 * are not text become JSON, as an environment variable would carry them.
 */
export async function resolveWorkflowSecrets(
  workflow: WorkflowSpec,
  options: ResolveOptions,
): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(workflow.secrets ?? {}).map(
      async ([name, ref]) => [name, await resolveSecretRef(ref, { ...options, as: "string" })] as const,
    ),
  );
  return Object.fromEntries(entries);
}

/**
 * Resolves references written directly in a step's `env`, `with` and `runner` (`ref+vault://…`), just before the
 * step runs, and lists every resolved value as a secret of the task so it is masked.
 */
export async function resolveTaskSecrets(task: PreparedTask, options: ResolveOptions): Promise<PreparedTask> {
  const before = JSON.stringify([task.env, task.inputs, task.runner]);
  if (!before.includes("ref+")) return task;
  const secrets = [...task.secrets];
  // What a reference resolved to is secret; the plain values beside it (a node's name) are not.
  const collect = (original: unknown, resolved: unknown): unknown => {
    if (typeof original === "string") {
      if (original !== resolved) collectAll(resolved);
    } else if (
      original !== null &&
      typeof original === "object" &&
      resolved !== null &&
      typeof resolved === "object"
    ) {
      for (const [k, v] of Object.entries(original)) collect(v, (resolved as Record<string, unknown>)[k]);
    }
    return resolved;
  };
  const collectAll = (value: unknown): void => {
    if (typeof value === "string") secrets.push(value);
    else if (value !== null && typeof value === "object") Object.values(value).forEach(collectAll);
  };
  const resolve = async (record: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(record)) {
      const resolved = await resolveRefsDeep(value, options);
      out[key] = resolved === value ? value : collect(value, resolved);
    }
    return out;
  };
  const env = Object.fromEntries(
    Object.entries(await resolve(task.env)).map(([k, v]) => [
      k,
      typeof v === "string" ? v : JSON.stringify(v),
    ]),
  );
  // The runner's env and registry credentials (`password: ref+env://REGISTRY_TOKEN`) too; type stays.
  const runner = task.runner
    ? ({
        ...(await resolve(task.runner as unknown as Record<string, unknown>)),
        type: task.runner.type,
      } as typeof task.runner)
    : undefined;
  return { ...task, env, inputs: await resolve(task.inputs), secrets, ...(runner ? { runner } : {}) };
}
