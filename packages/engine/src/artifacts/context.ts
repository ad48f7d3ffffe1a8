import type { RunInfo } from "@gantry/core";
import type { LogArchiveLike } from "../logs/types.js";
import type { Db } from "../store/queries/types.js";

/** Sizes a step may store; the worker's configuration, defaults below. */
export interface FilesLimits {
  /** One artifact's files, before packing. */
  artifactBytes: number;
  /** One cache entry's files, before packing. */
  cacheBytes: number;
  /** All cache entries of a namespace together; the least recently used go first beyond it. */
  cacheTotalBytes: number;
}

export const DEFAULT_FILES_LIMITS: FilesLimits = {
  artifactBytes: 2 * 1024 ** 3,
  cacheBytes: 2 * 1024 ** 3,
  // GitHub's per-repository cache budget.
  cacheTotalBytes: 10 * 1024 ** 3,
};

/** What the built-in file actions (artifacts, caches) need of the worker running them. */
export interface FilesContext {
  db: Db;
  /** The store that keeps finished logs (local folder or S3): artifacts and caches live there too. */
  objects: LogArchiveLike;
  now: () => number;
  limits: FilesLimits;
  run: { id: string; workflow: string; info: RunInfo };
  /** The step's key, as the worker names it (opaque: a job's step may carry a longer one). */
  step: string;
  /** The step's evaluated `with`. */
  inputs: Record<string, unknown>;
  /** A line in the step's log. */
  log: (line: string) => void;
  /** A private folder for tarballs on their way in or out, removed by the caller. */
  scratch: string;
}

/** The branch a run builds: a pull request's head branch, else the pushed branch; "" for none. */
export function runBranch(info: RunInfo): string {
  const github = info.github ?? {};
  const head = github.head_ref;
  if (typeof head === "string" && head !== "") return head;
  const ref = github.ref;
  if (typeof ref === "string" && ref.startsWith("refs/heads/")) return ref.slice("refs/heads/".length);
  const branch = (info.trigger as { branch?: unknown } | undefined)?.branch;
  return typeof branch === "string" ? branch : "";
}

export function stringInput(inputs: Record<string, unknown>, name: string): string {
  const value = inputs[name];
  return value === undefined || value === null ? "" : String(value);
}
