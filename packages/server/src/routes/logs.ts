import { type LogLine, NotFoundError, readLogLines, store } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { errorReply } from "./schemas.js";

interface LogQuery {
  step?: string;
  after?: number;
  tail?: number;
}

const logQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    step: { type: "string", description: "only this step's lines" },
    after: { type: "integer", minimum: -1, description: "only lines after this offset (to resume)" },
    tail: { type: "integer", minimum: 1, description: "only the last N lines" },
  },
} as const;

/**
 * `GET /api/v1/runs/{id}/logs` answers the whole log as text; the same URL as a WebSocket replays what
 * exists, follows live until the run ends, then closes. Each message is one JSON line
 * `{step, item, attempt, stream, offset, ts, text}`; reconnecting with `?after=<offset>` resumes with no
 * gap and no duplicate.
 */
export function logRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx.service.database;
  app.route<{ Params: { id: string }; Querystring: LogQuery }>({
    method: "GET",
    url: "/api/v1/runs/:id/logs",
    schema: {
      summary: "A run's log as text; as a WebSocket, replayed then followed live",
      tags: ["runs"],
      params: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
      querystring: logQuery,
      response: { 404: errorReply },
    },
    handler: async (request, reply) => {
      if (!(await store.getRun(db, request.params.id)))
        throw new NotFoundError(`unknown run '${request.params.id}'`);
      const { step, after, tail } = request.query;
      let lines = await readLogLines(db, ctx.logArchive, request.params.id, {
        ...(after !== undefined ? { after } : {}),
        ...(step !== undefined ? { step } : {}),
      });
      if (tail !== undefined) lines = lines.slice(-tail);
      reply.type("text/plain; charset=utf-8");
      return (
        lines.map((l) => (step === undefined ? `${label(l)} | ${l.text}` : l.text)).join("\n") +
        (lines.length ? "\n" : "")
      );
    },
    wsHandler: (socket, request) => {
      const { step, after } = request.query;
      const stop = ctx.logTails.follow(request.params.id, {
        after: after ?? -1,
        ...(step !== undefined ? { step } : {}),
        send: (lines) => {
          for (const l of lines) socket.send(JSON.stringify(l));
        },
        end: () => socket.close(1000, "run ended"),
      });
      socket.on("close", stop);
    },
  });
}

function label(line: LogLine): string {
  return line.item > 0 ? `${line.step}[${line.item}]` : line.step;
}
