import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import type { ServerContext } from "../context.js";

export function healthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // Liveness: the process answers. Readiness: it can reach its database.
  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok", version: ctx.version }));
  app.get("/readyz", { schema: { hide: true } }, async (_request, reply) => {
    try {
      await sql`select 1`.execute(ctx.service.database.db);
      return { status: "ready" };
    } catch (error) {
      return reply.code(503).send({ status: "unavailable", error: `database: ${(error as Error).message}` });
    }
  });
  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
    reply.header("content-type", ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}
