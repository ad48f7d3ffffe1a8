import { runBranch, store } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import { inScope } from "../auth/scope.js";
import { ROLE_RANK } from "../auth/types.js";
import { badgeMessage, badgeSvg } from "../badges/badge-svg.js";
import type { ServerContext } from "../context.js";

/** Runs looked at for a branch's newest one: a badge for a branch quiet for longer says "no runs". */
const LOOKBACK_RUNS = 200;

/**
 * `GET /badge/<workflow>.svg?branch=main`: the status of the workflow's newest finished run (on that
 * branch), as an SVG for a README. Served to anyone when the workflow says `public: true`; otherwise
 * to a signed-in viewer of it (session or API key), like the rest of the API.
 */
export function badgeRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx.service.database;
  app.get<{ Params: { file: string }; Querystring: { branch?: string } }>(
    "/badge/:file",
    {
      schema: {
        summary: "A status badge (SVG) of a workflow's newest finished run, optionally on one branch",
        tags: ["workflows"],
        params: {
          type: "object",
          properties: { file: { type: "string", pattern: "\\.svg$", maxLength: 210 } },
          required: ["file"],
        },
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { branch: { type: "string", maxLength: 255 } },
        },
      },
    },
    async (request, reply) => {
      const name = request.params.file.replace(/\.svg$/, "");
      const row = await store.getWorkflow(db, name);
      const definition = row ? store.decodeDefinition(row) : undefined;
      const principal = request.principal;
      if (!row || definition?.workflow.public !== true) {
        // Not public: the same answer for a workflow that does not exist, so names do not leak.
        if (!principal)
          return reply.code(401).send({ error: "this badge is not public: sign in or send an API key" });
        if (ROLE_RANK[principal.role] < ROLE_RANK.viewer || (row && !inScope(principal.scope, row))) {
          return reply.code(403).send({ error: `${principal.name} may not see workflow '${name}'` });
        }
        if (!row) return reply.code(404).send({ error: `unknown workflow '${name}'` });
      }
      const branch = request.query.branch;
      const runs = await store.latestFinishedRuns(db, name, branch ? LOOKBACK_RUNS : 1);
      const newest = branch ? runs.find((r) => runBranch(store.decodeRunInfo(r)) === branch) : runs[0];
      return reply
        .header("content-type", "image/svg+xml; charset=utf-8")
        .header("cache-control", "no-cache, max-age=0")
        .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'")
        .header("x-content-type-options", "nosniff")
        .send(badgeSvg(name, badgeMessage(newest?.status)));
    },
  );
}
