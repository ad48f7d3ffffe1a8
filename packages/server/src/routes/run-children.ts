import { childRunGraphs, NotFoundError, store } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { errorReply } from "./schemas.js";

const childStep = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    needs: { type: "array", items: { type: "string" } },
    status: { type: "string" },
  },
  required: ["id", "name", "needs", "status"],
} as const;

/** A child run as the parent's graph unfolds it (the UI's `ChildRunGraph`, see api-schemas.ts). */
export const childRun = {
  type: "object",
  properties: {
    id: { type: "string" },
    workflow: { type: "string" },
    status: { type: "string" },
    step: { type: "string", description: "the parent's step that called it" },
    index: { type: "integer", description: "the item of that step (for_each, matrix), 0 otherwise" },
    attempt: { type: "integer" },
    steps: { type: "array", items: childStep },
  },
  required: ["id", "workflow", "status", "step", "index", "attempt", "steps"],
} as const;

/** The sub-workflow runs of a run, for its graph: each node of a `uses: workflow:` step unfolds into one. */
export function runChildrenRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Params: { id: string } }>(
    "/api/v1/runs/:id/children",
    {
      schema: {
        summary: "The sub-workflow runs this run started, with their steps' statuses",
        tags: ["runs"],
        params: { type: "object", properties: { id: { type: "string", maxLength: 100 } }, required: ["id"] },
        response: {
          200: { type: "object", properties: { children: { type: "array", items: childRun } } },
          404: errorReply,
        },
      },
    },
    async (request) => {
      const run = await store.getRun(ctx.service.database.db, request.params.id);
      if (!run) throw new NotFoundError(`unknown run '${request.params.id}'`);
      return { children: await childRunGraphs(ctx.service, run.id) };
    },
  );
}
