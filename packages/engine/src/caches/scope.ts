import type { RunInfo } from "@gantry/core";
import { runBranch } from "../artifacts/context.js";

/**
 * Where a run's caches live, as GitHub Actions scopes them: entries belong to a namespace (the
 * repository, else the workflow) and a scope (`branch:<name>` or `pr:<number>`). A run writes only to
 * its own scope, so a pull request, which may come from a fork, can never plant an entry that its base
 * branch or the default branch would restore. It reads its own scope first, then (a pull request) its
 * base branch's, then the default branch's.
 */
export interface CacheScopes {
  namespace: string;
  write: string;
  read: string[];
}

export function cacheScopes(info: RunInfo): CacheScopes {
  const github = info.github ?? {};
  const repository =
    typeof github.repository === "string" && github.repository !== "" ? github.repository : "";
  const namespace = repository ? `repo:${repository}` : `workflow:${info.workflow}`;
  const event = (github.event ?? {}) as { number?: unknown; repository?: { default_branch?: unknown } };
  const pull = pullNumber(github);
  const write = pull !== undefined ? `pr:${pull}` : `branch:${runBranch(info)}`;
  const read = [write];
  const base = github.base_ref;
  if (pull !== undefined && typeof base === "string" && base !== "") read.push(`branch:${base}`);
  const defaultBranch = event.repository?.default_branch;
  if (typeof defaultBranch === "string" && defaultBranch !== "") read.push(`branch:${defaultBranch}`);
  return { namespace, write, read: [...new Set(read)] };
}

function pullNumber(github: Record<string, unknown>): number | undefined {
  const match = typeof github.ref === "string" ? /^refs\/pull\/(\d+)\//.exec(github.ref) : null;
  if (match) return Number(match[1]);
  const number = (github.event as { number?: unknown } | undefined)?.number;
  return github.event_name === "pull_request" && typeof number === "number" ? number : undefined;
}
