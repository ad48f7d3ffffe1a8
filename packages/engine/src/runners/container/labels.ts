import type { PreparedTask } from "@gantry/core";

/** Every container and pod Gantry starts carries these, so a worker can find what it left behind. */
export const MANAGED_LABEL = "gantry.managed";
export const WORKER_LABEL = "gantry.worker";

/** Labels for a step's container: who started it and for which run, step, item and attempt. */
export function stepLabels(task: PreparedTask, runId: string, workerId: string): Record<string, string> {
  return {
    [MANAGED_LABEL]: "true",
    [WORKER_LABEL]: workerId,
    "gantry.run": runId,
    "gantry.step": task.step,
    "gantry.item": String(task.index),
    "gantry.attempt": String(task.attempt),
  };
}

/** A name unique to one attempt, readable in `docker ps`: gantry-<run>-<step>-<item>-<attempt>-<random>. */
export function containerName(task: PreparedTask, runId: string, maxLength = 128): string {
  const random = Math.random().toString(36).slice(2, 8);
  const base = `gantry-${runId.slice(0, 8)}-${task.step}-${task.index}-${task.attempt}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-");
  return `${base.slice(0, maxLength - random.length - 1)}-${random}`;
}
