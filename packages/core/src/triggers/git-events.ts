import { ignoredBy, includedBy } from "./filter-pattern.js";

/** `on.push` as GitHub Actions writes it. */
export interface PushFilter {
  branches?: string[];
  "branches-ignore"?: string[];
  tags?: string[];
  "tags-ignore"?: string[];
  paths?: string[];
  "paths-ignore"?: string[];
}

/** `on.pull_request` as GitHub Actions writes it (branches filter the base branch). */
export interface PullRequestFilter {
  branches?: string[];
  "branches-ignore"?: string[];
  paths?: string[];
  "paths-ignore"?: string[];
  types?: string[];
  /** Pull requests from forks get the source's secrets and credentials only with `secrets: true`. */
  forks?: { secrets?: boolean };
}

/** GitHub's default `types` for pull_request: a PR being labelled or closed starts nothing. */
export const DEFAULT_PULL_REQUEST_TYPES = ["opened", "synchronize", "reopened"] as const;

export interface PushEvent {
  /** `refs/heads/<branch>` or `refs/tags/<tag>`. */
  ref: string;
  /** The branch or tag was deleted: nothing runs (GitHub starts no push workflow for a deletion). */
  deleted?: boolean;
  /** The files the push changed; undefined when unknown (then `paths` filters do not hold it back). */
  changedPaths?: readonly string[];
}

export interface PullRequestEvent {
  /** The payload's `action`: opened, synchronize, reopened, closed, labeled… */
  action: string;
  /** The branch the pull request merges into. */
  baseRef: string;
  changedPaths?: readonly string[];
}

/** The filters of a workflow's `on.push` / `on.pull_request` (null or {} means every event). */
type Filters = Record<string, unknown> | null | undefined;

/**
 * Whether a push starts a workflow with this `on.push`, by GitHub's rules: with only branch filters a
 * tag push does not run it, with only tag filters a branch push does not; path filters apply to branch
 * pushes only.
 */
export function pushMatches(filter: PushFilter | null | undefined, event: PushEvent): boolean {
  if (event.deleted) return false;
  const f = filter ?? {};
  const hasBranches = f.branches !== undefined || f["branches-ignore"] !== undefined;
  const hasTags = f.tags !== undefined || f["tags-ignore"] !== undefined;
  if (event.ref.startsWith("refs/tags/")) {
    if (hasBranches && !hasTags) return false;
    return nameMatches(f.tags, f["tags-ignore"], event.ref.slice("refs/tags/".length));
  }
  if (!event.ref.startsWith("refs/heads/")) return false;
  if (hasTags && !hasBranches) return false;
  if (!nameMatches(f.branches, f["branches-ignore"], event.ref.slice("refs/heads/".length))) return false;
  return pathsMatch(f.paths, f["paths-ignore"], event.changedPaths);
}

/** Whether a pull request event starts a workflow with this `on.pull_request`. */
export function pullRequestMatches(
  filter: PullRequestFilter | null | undefined,
  event: PullRequestEvent,
): boolean {
  const f = filter ?? {};
  const types: readonly string[] = f.types ?? DEFAULT_PULL_REQUEST_TYPES;
  if (!types.includes(event.action)) return false;
  const base = event.baseRef.replace(/^refs\/heads\//, "");
  if (!nameMatches(f.branches, f["branches-ignore"], base)) return false;
  return pathsMatch(f.paths, f["paths-ignore"], event.changedPaths);
}

function nameMatches(include: string[] | undefined, ignore: string[] | undefined, name: string): boolean {
  if (include !== undefined) return includedBy(include, name);
  if (ignore !== undefined) return !ignoredBy(ignore, name);
  return true;
}

/** `paths`: at least one changed file is included; `paths-ignore`: at least one is not ignored. */
function pathsMatch(
  include: string[] | undefined,
  ignore: string[] | undefined,
  changed: readonly string[] | undefined,
): boolean {
  if (changed === undefined) return true;
  if (include !== undefined) return changed.some((p) => includedBy(include, p));
  if (ignore !== undefined) return changed.some((p) => !ignoredBy(ignore, p));
  return true;
}

/** Problems of a push/pull_request filter that the JSON Schema cannot say well, as [key path, message]. */
export function gitFilterProblems(event: "push" | "pull_request", filter: Filters): [string[], string][] {
  if (!filter) return [];
  const out: [string[], string][] = [];
  for (const [a, b] of [
    ["branches", "branches-ignore"],
    ["tags", "tags-ignore"],
    ["paths", "paths-ignore"],
  ] as const) {
    if (filter[a] !== undefined && filter[b] !== undefined)
      out.push([
        ["on", event, b],
        `on.${event}: use either ${a} or ${b}, not both (exclude with '!pattern' in ${a})`,
      ]);
  }
  return out;
}

type Payload = Record<string, unknown>;

/**
 * The `github` context of a run started by a GitHub event, with the fields GitHub Actions gives it.
 * For pull requests `sha` is the head commit (GitHub uses a merge commit only it has) and `ref` is
 * `refs/pull/<n>/merge` as on GitHub.
 */
export function githubContext(eventName: string, payload: Payload): Record<string, unknown> {
  const repository = (payload.repository ?? {}) as Payload;
  const sender = (payload.sender ?? {}) as Payload;
  const pr = payload.pull_request as Payload | undefined;
  const head = (pr?.head ?? {}) as Payload;
  const base = (pr?.base ?? {}) as Payload;
  const ref = pr ? `refs/pull/${String(payload.number ?? pr.number)}/merge` : String(payload.ref ?? "");
  const sha = pr ? String(head.sha ?? "") : String(payload.after ?? "");
  const refType = ref.startsWith("refs/tags/") ? "tag" : "branch";
  const owner = (repository.owner ?? {}) as Payload;
  return {
    event_name: eventName,
    event: payload,
    ref,
    ref_name: ref.replace(/^refs\/(heads|tags)\//, ""),
    ref_type: refType,
    sha,
    repository: String(repository.full_name ?? ""),
    repository_owner: String(owner.login ?? owner.name ?? ""),
    actor: String(sender.login ?? (payload.pusher as Payload | undefined)?.name ?? ""),
    head_ref: pr ? String(head.ref ?? "") : "",
    base_ref: pr ? String(base.ref ?? "") : String(payload.base_ref ?? ""),
    server_url: serverUrl(repository),
  };
}

function serverUrl(repository: Payload): string {
  const html = repository.html_url;
  if (typeof html !== "string") return "https://github.com";
  const match = /^(https?:\/\/[^/]+)/.exec(html);
  return match?.[1] ?? "https://github.com";
}

/** Files a push payload lists as added, modified or removed (undefined when it lists no commits). */
export function pushPayloadPaths(payload: Payload): string[] | undefined {
  const commits = payload.commits;
  if (!Array.isArray(commits) || commits.length === 0) return undefined;
  const paths = new Set<string>();
  for (const commit of commits as Payload[])
    for (const key of ["added", "modified", "removed"])
      for (const p of (commit[key] as string[] | undefined) ?? []) paths.add(p);
  return [...paths];
}

/**
 * Whether a pull_request payload comes from a fork: its head is another repository than its base (or
 * a fork since deleted, which GitHub sends as a null head repository).
 */
export function isForkPullRequest(payload: Payload): boolean {
  const pr = payload.pull_request as Payload | undefined;
  if (!pr) return false;
  const head = (pr.head ?? {}) as Payload;
  const base = (pr.base ?? {}) as Payload;
  const headRepo = head.repo as Payload | null | undefined;
  if (headRepo === null) return true;
  const baseRepo = (base.repo ?? payload.repository ?? {}) as Payload;
  const headName = String(headRepo?.full_name ?? "");
  const baseName = String(baseRepo.full_name ?? "");
  return headRepo?.fork === true || (headName !== "" && baseName !== "" && headName !== baseName);
}
