import type { NodeRecord } from "../nodes/types.js";
import type { ActionSpec, RunnerSpec, RunnerType, WorkflowSpec } from "./types.js";

/**
 * A runner spec whose type is decided. A prepared ssh task also carries the node it runs on, its
 * connection secrets still references until the worker resolves them.
 */
export type ResolvedRunnerSpec = RunnerSpec & { type: RunnerType; node?: NodeRecord };

/** The label a job carries for its runner type; a worker offers it for each runner it has. */
export function runnerTypeLabel(type: RunnerType): string {
  return `runner:${type}`;
}

/**
 * The runner a step runs on: the workflow's `defaults.runner`, then the action's `runner`, then the
 * step's `runner`, each level overriding keys of the one before. A level that names a different `type`
 * starts afresh (an `image` meant for docker must not leak into a local step). A container action runs
 * on docker unless kubernetes was chosen. `type` and `labels` are literal (they route the job before any
 * expression can be evaluated); the other values may hold expressions, evaluated when the task is prepared.
 */
export function runnerSpecFor(workflow: WorkflowSpec, step: string, action?: ActionSpec): ResolvedRunnerSpec {
  let merged: RunnerSpec = {};
  for (const level of [workflow.defaults?.runner, action?.runner, workflow.steps[step]?.runner]) {
    if (!level) continue;
    merged = level.type !== undefined && level.type !== merged.type ? { ...level } : { ...merged, ...level };
  }
  let type: RunnerType = merged.type ?? "local";
  if (action?.runs.using === "container") {
    // An explicit `type: local` stays, and preparing the task then fails saying why.
    if (merged.type === undefined) type = "docker";
    // The action's image is the program: a default image from the workflow must not replace it.
    if (action.runs.image !== undefined) merged.image = action.runs.image;
  }
  return { ...merged, type };
}

/** Labels a job asks of the worker that claims it: the runner's labels plus its type. */
export function jobLabels(spec: ResolvedRunnerSpec): string[] {
  return [...new Set([...(spec.labels ?? []), runnerTypeLabel(spec.type)])];
}
