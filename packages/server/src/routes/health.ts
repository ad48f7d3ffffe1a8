import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import type { ServerContext } from "../context.js";

export function healthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // Liveness: the process answers. Readiness: it runs and can reach its database. These answer anyone,
  // so they say why not ready in a word, never with the database's error text (which names hosts and
  // users); the process log has it.
  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok", version: ctx.version }));
  app.get("/readyz", { schema: { hide: true } }, async (_request, reply) => {
    if (ctx.health) {
      const readiness = await ctx.health.readiness();
      if (readiness.ready) return { status: "ready" };
      return reply.code(503).send({ status: "unavailable", reason: readiness.reason });
    }
    try {
      await sql`select 1`.execute(ctx.service.database.db);
      return { status: "ready" };
    } catch {
      return reply.code(503).send({ status: "unavailable", reason: "database unreachable" });
    }
  });
  // With a metrics listener of its own (gantry.yaml metrics.port) the API port does not serve metrics,
  // so whatever routes the API (an Ingress, a load balancer) cannot expose them.
  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
    if (ctx.metricsOnApiPort === false)
      return reply
        .code(404)
        .send({ error: "metrics are served on the metrics port (metrics.port in gantry.yaml)" });
    reply.header("content-type", ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}
