import { HOOK_UNAUTHORIZED, handleGithubWebhook, handleWorkflowHook } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { NAME_LENGTH } from "./limits.js";

/**
 * `POST /api/v1/webhooks/github` and `POST /api/v1/hooks/<workflow>/<name>`. Open to everyone (no API
 * credentials): the signature over the raw body is the authentication. This scope reads no body: the
 * engine reads the request's stream itself, updating the signature chunk by chunk, and parses it only
 * once the signature matched; a body over the limit is cut off (413).
 */
export async function webhookRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, _payload, done) => done(null, undefined));
    // The engine stops reading at the limit; what is left unread cannot be answered on this connection.
    scope.addHook("onSend", async (_request, reply, payload) => {
      if (reply.statusCode === 413) reply.header("connection", "close");
      return payload;
    });
    scope.post(
      "/api/v1/webhooks/github",
      {
        // Without a signature nothing can verify the body: answer before reading a byte of it.
        onRequest: async (request, reply) => {
          if (request.headers["x-hub-signature-256"] === undefined)
            await reply
              .code(401)
              .send({ error: "X-Hub-Signature-256 does not match the secret of any source" });
        },
        schema: {
          summary:
            "GitHub webhook (push, pull_request, ping): signed with the source's github.secret; syncs the source and starts matching workflows",
          tags: ["sources"],
        },
      },
      async (request, reply) => {
        if (!ctx.sources) return reply.code(404).send({ error: "no git sources are configured" });
        const header = (name: string) => {
          const value = request.headers[name];
          return Array.isArray(value) ? value[0] : value;
        };
        const result = await handleGithubWebhook(ctx.service, ctx.sources, {
          event: header("x-github-event"),
          delivery: header("x-github-delivery"),
          signature: header("x-hub-signature-256"),
          contentType: header("content-type"),
          body: request.raw,
        });
        return reply.code(result.status).send(result.body);
      },
    );
    scope.post<{ Params: { workflow: string; name: string }; Querystring: Record<string, string> }>(
      "/api/v1/hooks/:workflow/:name",
      {
        // No credentials at all: the same answer as a wrong signature, before reading the body.
        onRequest: async (request, reply) => {
          const h = request.headers;
          if (
            h["x-gantry-signature-256"] === undefined &&
            h["x-hub-signature-256"] === undefined &&
            h.authorization === undefined
          )
            await reply.code(401).send({ error: HOOK_UNAUTHORIZED });
        },
        schema: {
          summary:
            "A workflow's webhook (on.webhook): signed with X-Gantry-Signature-256 (HMAC-SHA256 of the body) or Authorization: Bearer <token>; starts a run with the body as trigger.payload. ?wait=30s answers the run's outputs once it ends",
          tags: ["runs"],
          params: {
            type: "object",
            properties: {
              workflow: { type: "string", maxLength: NAME_LENGTH },
              name: { type: "string", maxLength: NAME_LENGTH },
            },
            required: ["workflow", "name"],
          },
          // `wait` is Gantry's; the rest reach the run as trigger.query.
          querystring: {
            type: "object",
            maxProperties: 50,
            additionalProperties: { type: "string", maxLength: 2048 },
          },
        },
      },
      async (request, reply) => {
        const headers: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(request.headers))
          headers[name] = Array.isArray(value) ? value[0] : value;
        // The client hanging up ends a ?wait early (the run goes on).
        const abort = new AbortController();
        reply.raw.once("close", () => abort.abort());
        const result = await handleWorkflowHook(ctx.service, {
          workflow: request.params.workflow,
          name: request.params.name,
          headers,
          query: { ...request.query },
          body: request.raw,
          ...(ctx.webhookBodyLimit !== undefined ? { limit: ctx.webhookBodyLimit } : {}),
          signal: abort.signal,
        });
        if (result.log)
          ctx.onWarning?.(`workflow hook ${request.params.workflow}/${request.params.name}: ${result.log}`);
        return reply.code(result.status).send(result.body);
      },
    );
  });
}
