import { parseDuration } from "@gantry/core";
import { InvalidInputError, NotFoundError, store } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import { audit } from "../auth/audit.js";
import { createApiKey, keyView } from "../auth/keys.js";
import { openSocketsOf } from "../auth/open-sockets.js";
import { KEY_ROLES, type KeyRole } from "../auth/types.js";
import type { ServerContext } from "../context.js";
import { idParams } from "./limits.js";
import { errorReply } from "./schemas.js";

const keySchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    role: { type: "string", enum: [...KEY_ROLES] },
    labels: { type: "array", items: { type: "string" }, description: "an agent key's labels" },
    scope: { type: ["string", "null"] },
    hint: { type: "string", description: "the key's first characters" },
    created_by: { type: "string" },
    created_at: { type: "string" },
    expires_at: { type: ["string", "null"] },
    last_used_at: { type: ["string", "null"] },
    revoked_at: { type: ["string", "null"] },
    state: { type: "string", enum: ["active", "expired", "revoked"] },
  },
} as const;

interface CreateBody {
  name: string;
  role: KeyRole;
  labels?: string[];
  scope?: string;
  expires_in?: string;
}

/** API keys: listed (never the key), created (the key shown once, in this reply), revoked. Admins only. */
export function keyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx.service.database;

  app.get(
    "/api/v1/keys",
    {
      schema: {
        summary: "API keys, newest first (revoked and expired ones included, marked by state)",
        tags: ["keys"],
        response: { 200: { type: "object", properties: { keys: { type: "array", items: keySchema } } } },
      },
    },
    async () => {
      const now = ctx.service.now();
      return { keys: (await store.listApiKeys(db)).map((row) => keyView(row, now)) };
    },
  );

  app.post<{ Body: CreateBody }>(
    "/api/v1/keys",
    {
      schema: {
        summary: "Create an API key; the reply's `key` is the only time it is shown",
        tags: ["keys"],
        body: {
          type: "object",
          additionalProperties: false,
          required: ["name", "role"],
          properties: {
            name: { type: "string", pattern: "\\S" },
            role: { type: "string", enum: [...KEY_ROLES] },
            labels: {
              type: "array",
              maxItems: 50,
              items: { type: "string", maxLength: 100 },
              description: "agent keys only: the labels of the jobs its agents may claim",
            },
            scope: {
              type: "string",
              pattern: "^(source|folder):.+",
              description: "source:<name> or folder:<path>",
            },
            expires_in: { type: "string", description: "e.g. 30d, 12h; omitted: never expires" },
          },
        },
        response: {
          201: { type: "object", properties: { key: { type: "string" }, ...keySchema.properties } },
          400: errorReply,
        },
      },
    },
    async (request, reply) => {
      const now = ctx.service.now();
      let expiresAt: number | null = null;
      if (request.body.expires_in !== undefined) {
        try {
          expiresAt = now + parseDuration(request.body.expires_in);
        } catch (error) {
          throw new InvalidInputError([{ field: "expires_in", message: (error as Error).message }]);
        }
      }
      const principal = request.principal;
      let created: Awaited<ReturnType<typeof createApiKey>>;
      try {
        created = await createApiKey(
          db,
          {
            name: request.body.name,
            role: request.body.role,
            ...(request.body.labels ? { labels: request.body.labels } : {}),
            scope: request.body.scope ?? null,
            expiresAt,
            createdBy: principal?.id ?? "anonymous",
          },
          now,
        );
      } catch (error) {
        throw new InvalidInputError([{ field: "body", message: (error as Error).message }]);
      }
      await audit(ctx, request, principal, "key.create", created.view.id, {
        name: created.view.name,
        role: created.view.role,
        labels: created.view.labels,
        scope: created.view.scope,
        expires_at: created.view.expires_at,
      });
      return reply.code(201).send({ key: created.key, ...created.view });
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/api/v1/keys/:id",
    {
      schema: {
        summary: "Revoke an API key (by id); it stops working at once",
        tags: ["keys"],
        params: idParams,
        response: { 200: keySchema, 404: errorReply },
      },
    },
    async (request) => {
      const now = ctx.service.now();
      const revoked = await store.revokeApiKey(db, request.params.id, now);
      if (!revoked) throw new NotFoundError(`no active API key '${request.params.id}'`);
      openSocketsOf(ctx).closeAll(`key:${revoked.id}`, "API key revoked");
      await audit(ctx, request, request.principal, "key.revoke", revoked.id, { name: revoked.name });
      const row = (await store.listApiKeys(db)).find((k) => k.id === revoked.id);
      return row ? keyView(row, now) : { id: revoked.id };
    },
  );
}
