import type { RunState } from "@gantry/core";
import { cancelRun, createRun, NotFoundError, runInfo, store } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { errorReply, runDetail, runSummary } from "./schemas.js";
import { runDetailView, runSummaryView } from "./views.js";

const idParams = { type: "object", properties: { id: { type: "string" } }, required: ["id"] } as const;

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
            workflow: { type: "string" },
            status: { type: "string" },
            trigger: { type: "string", description: "trigger type: manual, api, schedule, push, …" },
            limit: { type: "integer", minimum: 1, maximum: 500, default: 50 },
            cursor: { type: "string", description: "next_cursor of the previous page" },
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
      const run = await mustGetRun(ctx, request.params.id);
      return runDetailView(run, await store.listStepSummaries(db, run.id));
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
    async (request, reply) => reply.code(202).send(await cancelRun(ctx.service, request.params.id)),
  );

  app.post<{ Params: { id: string }; Body: { from_failed?: boolean } | undefined }>(
    "/api/v1/runs/:id/rerun",
    {
      schema: {
        summary: "Run again, at the same revision and with the same inputs; or only from the failed steps",
        tags: ["runs"],
        params: idParams,
        body: {
          type: ["object", "null"],
          additionalProperties: false,
          properties: { from_failed: { type: "boolean" } },
        },
        response: {
          201: { type: "object", properties: { id: { type: "string" }, status: { type: "string" } } },
          404: errorReply,
        },
      },
    },
    async (request, reply) => {
      const original = await mustGetRun(ctx, request.params.id);
      const info = runInfo(original, ctx.service.box);
      const previous = JSON.parse(original.state_json) as RunState | null;
      const run = await createRun(ctx.service, {
        workflow: original.workflow,
        revision: original.revision,
        inputs: info.inputs,
        ...(info.github ? { github: info.github } : {}),
        // A re-run keeps its run's trigger (as GitHub re-runs keep the event), marked with where it came from.
        trigger: { ...(JSON.parse(original.trigger_json) as { type: string }), rerun_of: original.id },
        parentRunId: original.id,
        attempt: original.attempt + 1,
        ...(request.body?.from_failed && previous ? { keep: previous.steps } : {}),
      });
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
