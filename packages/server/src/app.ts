import swagger from "@fastify/swagger";
import websocket from "@fastify/websocket";
import Fastify, { type FastifyInstance } from "fastify";
import type { ServerContext } from "./context.js";
import { registerErrorHandler } from "./errors.js";
import { healthRoutes } from "./routes/health.js";
import { logRoutes } from "./routes/logs.js";
import { runRoutes } from "./routes/runs.js";
import { scheduleRoutes } from "./routes/schedules.js";
import { workflowRoutes } from "./routes/workflows.js";

/** The HTTP API. Built without listening, so tests call it in-process with `inject`. */
export async function buildApp(
  ctx: ServerContext,
  options: { logger?: boolean } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    // Ajv coerces query strings (`limit=10`) and rejects unknown body fields; all errors at once.
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: true } },
  });
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "Gantry API", version: ctx.version, description: "Workflows, runs and their steps" },
    },
  });
  await app.register(websocket);
  registerErrorHandler(app);
  healthRoutes(app, ctx);
  workflowRoutes(app, ctx);
  runRoutes(app, ctx);
  logRoutes(app, ctx);
  scheduleRoutes(app, ctx);
  app.get("/api/v1/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  return app;
}
