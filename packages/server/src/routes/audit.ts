import { store } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { NAME_LENGTH } from "./limits.js";
import { errorReply } from "./schemas.js";

const entrySchema = {
  type: "object",
  properties: {
    id: { type: "integer" },
    at: { type: "string" },
    actor: {
      type: "string",
      maxLength: NAME_LENGTH,
      description: "user:<subject>, key:<id>, local or anonymous",
    },
    actor_name: { type: "string" },
    action: { type: "string" },
    target: { type: ["string", "null"] },
    detail: { type: ["object", "null"], additionalProperties: true },
    ip: { type: ["string", "null"] },
  },
} as const;

/** `GET /api/v1/audit`: who started, cancelled, re-ran what, key changes and sign-ins; admins only. */
export function auditRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Querystring: { limit?: number; before?: number; action?: string; actor?: string } }>(
    "/api/v1/audit",
    {
      schema: {
        summary: "The audit log, newest first, paged with next_cursor",
        tags: ["audit"],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            limit: { type: "integer", minimum: 1, maximum: 500, default: 100 },
            before: { type: "integer", description: "next_cursor of the previous page" },
            action: {
              type: "string",
              maxLength: NAME_LENGTH,
              description: "only this action, e.g. run.start",
            },
            actor: { type: "string", maxLength: NAME_LENGTH, description: "only this actor, e.g. key:<id>" },
          },
        },
        response: {
          200: {
            type: "object",
            properties: {
              entries: { type: "array", items: entrySchema },
              next_cursor: { type: ["integer", "null"] },
            },
          },
          400: errorReply,
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const rows = await store.listAudit(ctx.service.database.db, {
        limit: limit + 1,
        ...(request.query.before !== undefined ? { before: request.query.before } : {}),
        ...(request.query.action ? { action: request.query.action } : {}),
        ...(request.query.actor ? { actor: request.query.actor } : {}),
      });
      const page = rows.slice(0, limit);
      return {
        entries: page.map((r) => ({
          id: r.id,
          at: new Date(r.at).toISOString(),
          actor: r.actor,
          actor_name: r.actor_name,
          action: r.action,
          target: r.target,
          detail: store.decodeAuditDetail(r),
          ip: r.ip,
        })),
        next_cursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
      };
    },
  );
}
