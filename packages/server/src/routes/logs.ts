import type { Socket } from "node:net";
import { Readable } from "node:stream";
import type { WebSocket } from "@fastify/websocket";
import { packLines } from "@gantry/core";
import { type LogLine, NotFoundError, store, streamLogLines, tailLogLines } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import { openSocketsOf } from "../auth/open-sockets.js";
import type { ServerContext } from "../context.js";
import { idParams, NAME_LENGTH } from "./limits.js";
import { errorReply } from "./schemas.js";

interface LogQuery {
  step?: string;
  after?: number;
  tail?: number;
  limit?: number;
  batch?: boolean;
  packed?: boolean;
}

const logQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    step: { type: "string", maxLength: NAME_LENGTH, description: "only this step's lines" },
    after: { type: "integer", minimum: -1, description: "only lines after this offset (to resume)" },
    tail: { type: "integer", minimum: 1, description: "only the last N lines" },
    limit: { type: "integer", minimum: 1, description: "at most N lines (with `after`, a range)" },
    batch: {
      type: "boolean",
      description:
        "WebSocket only: each message is a JSON array of lines (up to 2000) instead of one line; a follower of a busy log gets it for a fraction of the CPU",
    },
    packed: {
      type: "boolean",
      description:
        "WebSocket only: each message is a JSON array of batches `{offset, step, item, attempt, lines}`, `lines` being `{s: [[stream, count], ...], t: [[ts, count], ...], x: texts joined by newlines}` (or `[[stream, ts, text], ...]`): a third of the bytes of `batch`",
    },
  },
} as const;

/**
 * `GET /api/v1/runs/{id}/logs` answers the whole log as text; the same URL as a WebSocket replays what
 * exists, follows live until the run ends, then closes. Each message is one JSON line
 * `{step, item, attempt, stream, offset, ts, text}` (with `?batch=true`, a JSON array of them; with
 * `?packed=true`, an array of packed batches: see LinesBatch in core);
 * reconnecting with `?after=<offset>` resumes with no gap and no duplicate. Finished logs stream from
 * the archive: `tail` reads only the end of each object, `after` finds its place by range reads.
 */
export function logRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx.service.database;
  app.route<{ Params: { id: string }; Querystring: LogQuery }>({
    method: "GET",
    url: "/api/v1/runs/:id/logs",
    schema: {
      summary: "A run's log as text; as a WebSocket, replayed then followed live",
      tags: ["runs"],
      params: idParams,
      querystring: logQuery,
      response: { 404: errorReply },
    },
    handler: async (request, reply) => {
      if (!(await store.getRun(db, request.params.id)))
        throw new NotFoundError(`unknown run '${request.params.id}'`);
      const { step, after, tail, limit } = request.query;
      const format = (lines: LogLine[]) =>
        lines.map((l) => `${step === undefined ? `${label(l)} | ` : ""}${l.text}\n`).join("");
      reply.type("text/plain; charset=utf-8");
      if (tail !== undefined) {
        // Only the end of each source is read: a tail of a 200 MB log costs a few range reads.
        const lines = await tailLogLines(db, ctx.logArchive, request.params.id, {
          lines: tail,
          ...(step !== undefined ? { step } : {}),
        });
        const kept = lines.filter((l) => after === undefined || l.offset > after);
        return format(limit !== undefined ? kept.slice(0, limit) : kept);
      }
      const batches = streamLogLines(db, ctx.logArchive, request.params.id, {
        ...(after !== undefined ? { after } : {}),
        ...(step !== undefined ? { step } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      // The first batch before the headers: a store or archive that fails answers 500, not a cut 200.
      // After that the log streams a batch at a time, at the client's pace (Readable.from waits for it).
      const first = await batches.next();
      if (first.done) return "";
      const body = Readable.from(
        (async function* () {
          yield format(first.value);
          for await (const batch of batches) yield format(batch);
        })(),
        { objectMode: false },
      );
      // A client that leaves before the body started must still release the archive stream it holds.
      body.on("close", () => void batches.return(undefined));
      return body;
    },
    wsHandler: (socket, request) => {
      const { step, after, batch, packed } = request.query;
      // ws's own socket (not public API): corked for a batch, a batch of messages leaves in one write
      // instead of one system call per line, which is most of what 100 followers cost the server.
      const raw = (socket as unknown as { _socket?: Socket })._socket;
      const stop = ctx.logTails.follow(request.params.id, {
        after: after ?? -1,
        ...(step !== undefined ? { step } : {}),
        send: (lines) => {
          if (packed) return socket.send(packedOf(lines), { binary: false });
          if (batch) return socket.send(batchOf(lines), { binary: false });
          raw?.cork();
          for (const json of linesOf(lines)) socket.send(json);
          raw?.uncork();
        },
        end: () => socket.close(1000, "run ended"),
        ready: () => drained(socket, raw),
      });
      socket.on("close", stop);
      openSocketsOf(ctx).track(request.principal, socket);
    },
  });
}

/** A follower this far behind (bytes not yet sent) holds its read until it drains (100 followers: 50 MB). */
const HIGH_WATER_BYTES = 512 * 1024;
/** A follower that takes no data for this long is closed (1013, try again): it would stall everyone. */
const STALLED_MS = 30_000;

/**
 * Batches as sent, by the array handed to the followers: followers level with the shared read get one
 * array per batch, and followers catching up get the run's cached arrays (LogBatchCache), so each is
 * serialised once for all of them. Keyed by batch (a WeakMap per line made the garbage collector's work
 * grow with every line on every follower: 30 of 88 CPU seconds for 100 followers of 20 MB); an
 * encoding goes when its array does.
 */
const encoded = new WeakMap<LogLine[], { lines?: string[]; batch?: Buffer; packed?: Buffer }>();

function encodingOf(lines: LogLine[]): { lines?: string[]; batch?: Buffer; packed?: Buffer } {
  let entry = encoded.get(lines);
  if (entry === undefined) {
    entry = {};
    encoded.set(lines, entry);
  }
  return entry;
}

function linesOf(lines: LogLine[]): string[] {
  const entry = encodingOf(lines);
  entry.lines ??= lines.map((l) => JSON.stringify(l));
  return entry.lines;
}

function batchOf(lines: LogLine[]): Buffer {
  const entry = encodingOf(lines);
  entry.batch ??= Buffer.from(JSON.stringify(lines));
  return entry.batch;
}

function packedOf(lines: LogLine[]): Buffer {
  const entry = encodingOf(lines);
  entry.packed ??= Buffer.from(JSON.stringify(packLines(lines)));
  return entry.packed;
}

function drained(socket: WebSocket, raw: Socket | undefined): Promise<void> {
  if (!raw || socket.readyState !== socket.OPEN || socket.bufferedAmount < HIGH_WATER_BYTES)
    return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      raw.off("drain", done);
      raw.off("close", done);
      resolve();
    };
    const timer = setTimeout(() => {
      socket.close(1013, "too far behind; reconnect with ?after=");
      done();
    }, STALLED_MS);
    raw.on("drain", done);
    raw.on("close", done);
  });
}

function label(line: LogLine): string {
  return line.item > 0 ? `${line.step}[${line.item}]` : line.step;
}
