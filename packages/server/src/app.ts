import swagger from "@fastify/swagger";
import websocket from "@fastify/websocket";
import Fastify, { type FastifyInstance } from "fastify";
import { registerAuth } from "./auth/index.js";
import type { ServerContext } from "./context.js";
import { registerErrorHandler } from "./errors.js";
import { registerSecurityHeaders } from "./hardening/headers.js";
import { registerJsonBodyParser } from "./hardening/json-body.js";
import { agentRoutes } from "./routes/agent.js";
import { approvalRoutes } from "./routes/approvals.js";
import { artifactRoutes } from "./routes/artifacts.js";
import { auditRoutes } from "./routes/audit.js";
import { badgeRoutes } from "./routes/badges.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import { healthRoutes } from "./routes/health.js";
import { importRoutes } from "./routes/import.js";
import { keyRoutes } from "./routes/keys.js";
import { logRoutes } from "./routes/logs.js";
import { nodeRoutes } from "./routes/nodes.js";
import { runChildrenRoutes } from "./routes/run-children.js";
import { runRoutes } from "./routes/runs.js";
import { scheduleRoutes } from "./routes/schedules.js";
import { sourceRoutes } from "./routes/sources.js";
import { triggerRoutes } from "./routes/triggers.js";
import { uiRoutes } from "./routes/ui.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { workerRoutes } from "./routes/workers.js";
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
      // Who may call each route is in auth/rules.ts; these say how to present credentials.
      components: {
        securitySchemes: {
          apiKey: { type: "http", scheme: "bearer", description: "an API key: gantry keys create" },
          session: { type: "apiKey", in: "cookie", name: "gantry_session", description: "after /auth/login" },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
  });
  await app.register(websocket);
  registerErrorHandler(app, ctx.onInternalError);
  registerSecurityHeaders(app, ctx.uiDir);
  registerJsonBodyParser(app);
  // Before every route: it collects them and decides each request from the table in auth/rules.ts.
  await registerAuth(app, ctx);
  keyRoutes(app, ctx);
  auditRoutes(app, ctx);
  healthRoutes(app, ctx);
  workflowRoutes(app, ctx);
  runRoutes(app, ctx);
  runChildrenRoutes(app, ctx);
  approvalRoutes(app, ctx);
  logRoutes(app, ctx);
  artifactRoutes(app, ctx);
  badgeRoutes(app, ctx);
  scheduleRoutes(app, ctx);
  sourceRoutes(app, ctx);
  triggerRoutes(app, ctx);
  await webhookRoutes(app, ctx);
  dashboardRoutes(app, ctx);
  workerRoutes(app, ctx);
  agentRoutes(app, ctx);
  nodeRoutes(app, ctx);
  importRoutes(app, ctx);
  await uiRoutes(app, ctx.uiDir);
  app.get("/api/v1/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  return app;
}
