import { RUN_STATUSES, RUN_TRIGGER_TYPES } from "@gantry/core";
import { cancelRunTree, NotFoundError, rerunRun, store, withUnitOfWork } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { CURSOR_LENGTH, idParams, NAME_LENGTH } from "./limits.js";
import { errorReply, runDetail, runSummary } from "./schemas.js";
import { runDetailView, runSummaryView } from "./views.js";
import { waitingSteps } from "./waiting.js";

export function runRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx.service.database;

  app.get<{
    Querystring: { workflow?: string; status?: string; trigger?: string; limit?: number; cursor?: string };
  }>(
    "/api/v1/runs",
    {
      schema: {
        summary: "Runs, newest first, paged with a cursor",
        tags: ["runs"],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            workflow: { type: "string", maxLength: NAME_LENGTH },
            status: { type: "string", maxLength: 32, description: `run status: ${RUN_STATUSES.join(", ")}` },
            trigger: {
              type: "string",
              maxLength: 32,
              description: `trigger type: ${RUN_TRIGGER_TYPES.join(", ")}`,
            },
            limit: { type: "integer", minimum: 1, maximum: 500, default: 50 },
            cursor: {
              type: "string",
              maxLength: CURSOR_LENGTH,
              description: "next_cursor of the previous page",
            },
          },
        },
        response: {
          200: {
            type: "object",
            properties: {
              runs: { type: "array", items: runSummary },
              next_cursor: { type: ["string", "null"] },
            },
          },
          400: errorReply,
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const before = request.query.cursor ? decodeCursor(request.query.cursor) : undefined;
      const rows = await store.listRuns(db, {
        ...(request.query.workflow ? { workflow: request.query.workflow } : {}),
        ...(request.query.status ? { status: request.query.status } : {}),
        ...(request.query.trigger ? { trigger: request.query.trigger } : {}),
        ...(before ? { before } : {}),
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        runs: page.map(runSummaryView),
        next_cursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/v1/runs/:id",
    {
      schema: {
        summary: "One run with its steps",
        tags: ["runs"],
        params: idParams,
        response: { 200: runDetail, 404: errorReply },
      },
    },
    async (request) => {
      const row = await mustGetRun(ctx, request.params.id);
      const view = runDetailView(row, await store.listStepSummaries(db, row.id));
      if (row.finished_at !== null) return view;
      const waiting = await waitingSteps(ctx, row.id);
      const steps: Record<string, object> = { ...view.steps };
      for (const [step, wait] of Object.entries(waiting)) steps[step] = { ...steps[step], ...wait };
      return { ...view, steps };
    },
  );

  app.post<{ Params: { id: string } }>(
    "/api/v1/runs/:id/cancel",
    {
      schema: {
        summary: "Cancel a run: running steps are killed, clean-up steps (always()) still run",
        tags: ["runs"],
        params: idParams,
        response: { 202: { type: "object", properties: { status: { type: "string" } } }, 404: errorReply },
      },
    },
    async (request, reply) => reply.code(202).send(await cancelRunTree(ctx.service, request.params.id)),
  );

  app.post<{
    Params: { id: string };
    Body: { from_failed?: boolean; from_step?: string; revision?: "pinned" | "current" } | undefined;
  }>(
    "/api/v1/runs/:id/rerun",
    {
      schema: {
        summary:
          "Run again with the same inputs: the whole run, only from the failed steps, or from one step on (earlier steps' outputs reused)",
        tags: ["runs"],
        params: idParams,
        body: {
          type: ["object", "null"],
          additionalProperties: false,
          properties: {
            from_failed: { type: "boolean" },
            from_step: {
              type: "string",
              minLength: 1,
              maxLength: 200,
              description: "Run this step and every step after it again; the others keep their results",
            },
            revision: {
              type: "string",
              enum: ["pinned", "current"],
              description:
                "pinned (default): the run's own revision and commit; current: the workflow as it is now",
            },
          },
        },
        response: {
          201: {
            type: "object",
            properties: { id: { type: "string" }, status: { type: "string" }, revision: { type: "string" } },
          },
          400: errorReply,
          404: errorReply,
          409: errorReply,
        },
      },
    },
    async (request, reply) => {
      const body = request.body ?? {};
      const run = await withUnitOfWork(ctx.service, (tx) =>
        rerunRun(ctx.service, tx, request.params.id, {
          ...(body.from_failed ? { fromFailed: true } : {}),
          ...(body.from_step !== undefined ? { fromStep: body.from_step } : {}),
          ...(body.revision ? { revision: body.revision } : {}),
        }),
      );
      return reply.code(201).send(run);
    },
  );
}

async function mustGetRun(ctx: ServerContext, id: string) {
  const row = await store.getRun(ctx.service.database.db, id);
  if (!row) throw new NotFoundError(`unknown run '${id}'`);
  return row;
}

function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}:${id}`).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const colon = text.indexOf(":");
  const createdAt = Number(text.slice(0, colon));
  if (colon < 0 || !Number.isFinite(createdAt)) {
    throw Object.assign(new Error("cursor: not a cursor this server gave out"), { statusCode: 400 });
  }
  return { createdAt, id: text.slice(colon + 1) };
}
