import { NotFoundError, store } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import { auditWith } from "../auth/hook.js";
import type { ServerContext } from "../context.js";
import { inputOptionRoutes, startCheckedRun } from "./input-options.js";
import { nameParams } from "./limits.js";
import { errorReply, workflowSummary } from "./schemas.js";
import { workflowView } from "./views.js";

export function workflowRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx.service.database;
  const options = inputOptionRoutes(app, ctx);

  app.get(
    "/api/v1/workflows",
    {
      schema: {
        summary: "List workflows with their input schemas",
        tags: ["workflows"],
        response: {
          200: { type: "object", properties: { workflows: { type: "array", items: workflowSummary } } },
        },
      },
    },
    async () => {
      const [rows, latest] = await Promise.all([store.listWorkflows(db), store.latestRunPerWorkflow(db)]);
      return { workflows: rows.map((row) => workflowView(row, latest.get(row.name) ?? null)) };
    },
  );

  app.get<{ Params: { name: string } }>(
    "/api/v1/workflows/:name",
    {
      schema: {
        summary: "One workflow",
        tags: ["workflows"],
        params: nameParams,
        response: { 200: workflowSummary, 404: errorReply },
      },
    },
    async (request) => {
      const row = await store.getWorkflow(db, request.params.name);
      if (!row) throw new NotFoundError(`unknown workflow '${request.params.name}'`);
      return workflowView(row);
    },
  );

  app.post<{ Params: { name: string }; Body: { inputs?: Record<string, unknown> } }>(
    "/api/v1/workflows/:name/runs",
    {
      schema: {
        summary: "Start a run; inputs are coerced and checked against the workflow's input schema",
        tags: ["runs"],
        params: nameParams,
        body: {
          type: "object",
          additionalProperties: false,
          properties: { inputs: { type: "object", additionalProperties: true } },
        },
        response: {
          201: {
            type: "object",
            properties: { id: { type: "string" }, status: { type: "string" } },
            required: ["id"],
          },
          400: errorReply,
          404: errorReply,
        },
      },
    },
    async (request, reply) => {
      // Gantry's own web UI says so in a header; anything else calling the API is "api". Either way the
      // run records who started it (a person's name, an API key's name, or the local user).
      const principal = request.principal;
      const run = await startCheckedRun(
        ctx,
        options,
        request.params.name,
        request.body?.inputs ?? {},
        {
          type: request.headers["x-gantry-client"] === "ui" ? "ui" : "api",
          ...(principal ? { user: principal.name, actor: principal.id } : {}),
        },
        // Its audit entry goes in with the run (one statement on Postgres): the answer writes none.
        auditWith(ctx, request),
      );
      return reply.code(201).send(run);
    },
  );
}
