import { NotFoundError, type SourceStatus, sourcePins } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { nameParams } from "./limits.js";
import { errorReply } from "./schemas.js";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const sourceView = {
  type: "object",
  properties: {
    name: { type: "string" },
    url: { type: "string", description: "Without any password in it" },
    ref: { type: "string", description: "The branch, tag or commit followed" },
    path: { type: "string", description: "The folder of workflows inside the repository" },
    interval_seconds: { type: "number", description: "Polling interval; 0: webhooks and manual syncs only" },
    github_repository: { type: ["string", "null"] },
    state: {
      type: "string",
      enum: ["ok", "error", "never"],
      description:
        "ok: the ref's head is active; error: the last sync failed or its head is invalid; never: not synced yet",
    },
    syncing: { type: "boolean" },
    active_commit: { type: ["string", "null"], description: "The commit whose workflows are registered" },
    activated_at: { type: ["string", "null"], format: "date-time" },
    seen_commit: {
      type: ["string", "null"],
      description: "The ref's head at the last sync; differs from active_commit while that head is invalid",
    },
    last_sync_at: { type: ["string", "null"], format: "date-time" },
    errors: {
      type: "array",
      items: { type: "string" },
      description: "file:line:col: message, or a git error",
    },
    workflows: { type: "array", items: { type: "string" }, description: "Workflows of the active commit" },
  },
  required: [
    "name",
    "url",
    "ref",
    "path",
    "interval_seconds",
    "github_repository",
    "state",
    "syncing",
    "active_commit",
    "activated_at",
    "seen_commit",
    "last_sync_at",
    "errors",
    "workflows",
  ],
} as const;

export const folderView = {
  type: "object",
  properties: {
    dir: { type: "string", description: "The folder of workflows (--dir), watched by gantry up" },
    state: {
      type: "string",
      enum: ["ok", "error", "never"],
      description: "ok: its files as they are now are active; error: the last good set stays active",
    },
    checked_at: { type: ["string", "null"], format: "date-time" },
    loaded_at: { type: ["string", "null"], format: "date-time" },
    errors: { type: "array", items: { type: "string" }, description: "file:line:col: message" },
    workflows: { type: "array", items: { type: "string" } },
  },
  required: ["dir", "state", "checked_at", "loaded_at", "errors", "workflows"],
} as const;

const pinView = {
  type: "object",
  properties: {
    library: { type: "string" },
    path: { type: "string" },
    ref: { type: "string", description: "As the uses: line names it (a branch, tag or commit)" },
    commit: {
      type: "string",
      description: "The commit the ref named when the source's commit was activated",
    },
    workflow: { type: "string" },
    step: { type: "string" },
  },
  required: ["library", "path", "ref", "commit", "workflow", "step"],
} as const;

const startedRun = {
  type: "object",
  properties: {
    workflow: { type: "string" },
    id: { type: "string" },
    status: { type: "string" },
    error: { type: "string" },
  },
  required: ["workflow"],
} as const;

export function sourceRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const view = (s: SourceStatus) => ({
    name: s.name,
    url: s.url,
    ref: s.ref,
    path: s.path,
    interval_seconds: s.intervalMs / 1000,
    github_repository: s.githubRepository,
    state: s.state,
    syncing: ctx.sources?.isSyncing(s.name) ?? false,
    active_commit: s.activeCommit,
    activated_at: iso(s.activatedAt),
    seen_commit: s.seenCommit,
    last_sync_at: iso(s.lastSyncAt),
    errors: s.errors,
    workflows: s.workflows,
  });

  app.get(
    "/api/v1/sources",
    {
      schema: {
        summary: "The git sources: what they follow, the active commit, the last sync and its errors",
        tags: ["sources"],
        response: {
          200: {
            type: "object",
            properties: {
              sources: { type: "array", items: sourceView },
              folders: { type: "array", items: folderView },
            },
          },
        },
      },
    },
    async () => ({
      sources: ctx.sources ? (await ctx.sources.status()).map(view) : [],
      folders: (ctx.folders ?? []).map((folder) => {
        const f = folder.status();
        return {
          dir: f.dir,
          state: f.state,
          checked_at: iso(f.checkedAt),
          loaded_at: iso(f.loadedAt),
          errors: f.errors,
          workflows: f.workflows,
        };
      }),
    }),
  );

  app.get<{ Params: { name: string } }>(
    "/api/v1/sources/:name",
    {
      schema: {
        summary:
          "One source, with every library pin of its active workflows: the ref each uses: names and the commit it was when activated",
        tags: ["sources"],
        params: nameParams,
        response: {
          200: {
            type: "object",
            properties: { source: sourceView, pins: { type: "array", items: pinView } },
            required: ["source", "pins"],
          },
          404: errorReply,
        },
      },
    },
    async (request) => {
      const status = await ctx.sources?.statusOf(request.params.name);
      if (!status) throw new NotFoundError(`unknown source '${request.params.name}'`);
      return { source: view(status), pins: await sourcePins(ctx.service.database.db, status.name) };
    },
  );

  app.post<{ Params: { name: string } }>(
    "/api/v1/sources/:name/sync",
    {
      schema: {
        summary: "Fetch the source now; activate its head commit if every workflow in it is valid",
        tags: ["sources"],
        params: nameParams,
        response: {
          200: {
            type: "object",
            properties: {
              source: sourceView,
              activated: { type: "boolean", description: "This sync activated a new commit" },
              head: { type: ["string", "null"], description: "The ref's head commit, when git could tell" },
              runs: { type: "array", items: startedRun, description: "on.push runs the new commit started" },
            },
            required: ["source", "activated", "head", "runs"],
          },
          404: errorReply,
        },
      },
    },
    async (request) => {
      const { name } = request.params;
      if (!ctx.sources?.source(name)) throw new NotFoundError(`unknown source '${name}'`);
      const outcome = await ctx.sources.sync(name);
      const status = await ctx.sources.statusOf(name);
      return {
        source: view(status as SourceStatus),
        activated: outcome.activated,
        head: outcome.head ?? null,
        runs: outcome.runs,
      };
    },
  );
}
