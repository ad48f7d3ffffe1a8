import {
  githubContext,
  isForkPullRequest,
  type PullRequestFilter,
  type PushFilter,
  pullRequestMatches,
  pushMatches,
} from "@gantry/core";
import { SECRETS_WITHHELD } from "../run/withheld-secrets.js";
import type { ServiceContext } from "../service/context.js";
import { startRun } from "../service/create-run.js";
import { getWorkflow } from "../store/queries/get-workflow.js";
import { workflowsOfSource } from "../store/queries/source-workflows.js";
import { sourceKey } from "./activate.js";

export type GitEventName = "push" | "pull_request";

export interface GitEvent {
  source: string;
  name: GitEventName;
  payload: Record<string, unknown>;
  /** X-GitHub-Delivery, or null for a push the poller found. */
  delivery: string | null;
  /** Files the event changed, when known (path filters let everything through otherwise). */
  changedPaths?: string[];
}

export interface StartedRun {
  workflow: string;
  id?: string;
  status?: string;
  /** Why the run could not be created (e.g. a required input without a default). */
  error?: string;
}

/**
 * Starts every workflow of the source whose `on.push` / `on.pull_request` filters take the event, with
 * the payload as `trigger` (plus `type: github`, `event`, `delivery`, `source`) and GitHub's `github`
 * context. The workflows are the source's active revision, synced just before.
 */
export async function startGitEventRuns(ctx: ServiceContext, event: GitEvent): Promise<StartedRun[]> {
  const { db } = ctx.database;
  const started: StartedRun[] = [];
  const github = githubContext(event.name, event.payload);
  const fork = event.name === "pull_request" && isForkPullRequest(event.payload);
  const trigger = {
    ...event.payload,
    type: "github",
    event: event.name,
    delivery: event.delivery,
    source: event.source,
    fork,
  };
  for (const { name } of await workflowsOfSource(db, sourceKey(event.source))) {
    const row = await getWorkflow(db, name);
    if (!row) continue;
    const on = (await ctx.definitions.at(db, row.revision)).workflow.on ?? {};
    if (!(event.name in on)) continue;
    const filter = on[event.name] as Record<string, unknown> | null;
    if (!matches(event, filter)) continue;
    // A fork's code must not reach the source's secrets ("pwn requests"): the worker withholds them
    // unless the workflow says otherwise. Set here, after the payload, so a payload cannot set it.
    const withheld = fork && (filter?.forks as { secrets?: boolean } | undefined)?.secrets !== true;
    try {
      const request = {
        workflow: name,
        revision: row.revision,
        trigger: { ...trigger, [SECRETS_WITHHELD]: withheld },
        github,
      };
      const run = await startRun(ctx, request);
      started.push({ workflow: name, ...run });
    } catch (error) {
      started.push({ workflow: name, error: (error as Error).message });
    }
  }
  return started;
}

function matches(event: GitEvent, filter: Record<string, unknown> | null): boolean {
  const p = event.payload;
  if (event.name === "push") {
    return pushMatches(filter as PushFilter | null, {
      ref: String(p.ref ?? ""),
      deleted: p.deleted === true,
      ...(event.changedPaths ? { changedPaths: event.changedPaths } : {}),
    });
  }
  const base = ((p.pull_request as Record<string, unknown> | undefined)?.base ?? {}) as Record<
    string,
    unknown
  >;
  return pullRequestMatches(filter as PullRequestFilter | null, {
    action: String(p.action ?? ""),
    baseRef: String(base.ref ?? ""),
    ...(event.changedPaths ? { changedPaths: event.changedPaths } : {}),
  });
}
