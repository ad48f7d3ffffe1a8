import { EVENT_TRIGGER_KINDS } from "@gantry/core";
import { getTriggerStatus, listTriggerStatus, type TriggerStatus } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { idParams, NAME_LENGTH } from "./limits.js";
import { errorReply } from "./schemas.js";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const time = { type: ["string", "null"], format: "date-time" } as const;

const triggerEvent = {
  type: "object",
  properties: {
    key: {
      type: "string",
      description: "The event's key: message id, shard:sequence, lsn:…, run:…, or a random id",
    },
    status: { type: "string", enum: ["started", "failed"] },
    run_id: { type: ["string", "null"] },
    error: { type: ["string", "null"] },
    received_at: { type: "string", format: "date-time" },
  },
  required: ["key", "status", "run_id", "error", "received_at"],
} as const;

const triggerNote = {
  type: "object",
  properties: {
    kind: {
      type: "string",
      enum: ["duplicate", "unmapped"],
      description: "duplicate: a redelivery dropped; unmapped: inputs that found nothing took defaults",
    },
    key: { type: ["string", "null"] },
    run_id: { type: ["string", "null"] },
    message: { type: "string" },
    at: { type: "string", format: "date-time" },
  },
  required: ["kind", "key", "run_id", "message", "at"],
} as const;

export const trigger = {
  type: "object",
  properties: {
    id: {
      type: "string",
      description: "<workflow>:<kind>:<name>, or <workflow>:<kind>:<index in on.<kind>>",
    },
    workflow: { type: "string" },
    kind: { type: "string", enum: EVENT_TRIGGER_KINDS },
    config: {
      type: "object",
      additionalProperties: true,
      description:
        "The entry as written (without inputs); URL passwords shown as ***, secret references as written",
    },
    inputs: {
      type: "object",
      additionalProperties: true,
      description: "Input name → value or expression on the event",
    },
    state: {
      type: "string",
      enum: ["stopped", "standby", "connecting", "connected", "reconnecting"],
      description: "As the server consuming it (its lease holder) last wrote it",
    },
    connected: { type: "boolean" },
    holder: { type: ["string", "null"], description: "The server consuming it" },
    connected_at: time,
    last_event_at: time,
    last_run_id: { type: ["string", "null"] },
    last_error: { type: ["string", "null"] },
    last_error_at: time,
    events: { type: "integer", description: "Events received (started a run or failed to)" },
    failures: { type: "integer", description: "Events that could not start a run" },
    state_at: { type: "string", format: "date-time" },
    recent: { type: "array", items: triggerEvent, description: "The latest events, newest first" },
    notes: {
      type: "array",
      items: triggerNote,
      description:
        "Events dropped as duplicates, and runs whose inputs found nothing in the event; newest first",
    },
  },
  required: [
    "id",
    "workflow",
    "kind",
    "config",
    "inputs",
    "state",
    "connected",
    "holder",
    "connected_at",
    "last_event_at",
    "last_run_id",
    "last_error",
    "last_error_at",
    "events",
    "failures",
    "state_at",
  ],
} as const;

function triggerView(status: TriggerStatus) {
  return {
    id: status.id,
    workflow: status.workflow,
    kind: status.kind,
    config: status.config,
    inputs: status.inputs,
    state: status.state,
    connected: status.connected,
    holder: status.holder,
    connected_at: iso(status.connectedAt),
    last_event_at: iso(status.lastEventAt),
    last_run_id: status.lastRunId,
    last_error: status.lastError,
    last_error_at: iso(status.lastErrorAt),
    events: status.events,
    failures: status.failures,
    state_at: iso(status.stateAt),
    ...(status.recent
      ? {
          recent: status.recent.map((e) => ({
            key: e.key,
            status: e.status,
            run_id: e.runId,
            error: e.error,
            received_at: iso(e.receivedAt),
          })),
        }
      : {}),
    ...(status.notes
      ? {
          notes: status.notes.map((n) => ({
            kind: n.kind,
            key: n.key,
            run_id: n.runId,
            message: n.message,
            at: iso(n.at),
          })),
        }
      : {}),
  };
}

/** The event triggers (RabbitMQ, Kinesis, PostgreSQL, MQTT, NATS, workflow chains) and their listeners' state. */
export function triggerRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Querystring: { workflow?: string; recent?: number } }>(
    "/api/v1/triggers",
    {
      schema: {
        summary: "Every event trigger with its listener's state: connected, last event, last error",
        tags: ["triggers"],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            workflow: { type: "string", maxLength: NAME_LENGTH },
            recent: {
              type: "integer",
              minimum: 0,
              maximum: 100,
              default: 0,
              description: "Latest events per trigger",
            },
          },
        },
        response: {
          200: {
            type: "object",
            properties: { triggers: { type: "array", items: trigger } },
            required: ["triggers"],
          },
          400: errorReply,
        },
      },
    },
    async (request) => ({
      triggers: (
        await listTriggerStatus(ctx.service, {
          recent: request.query.recent ?? 0,
          ...(request.query.workflow ? { workflow: request.query.workflow } : {}),
        })
      ).map(triggerView),
    }),
  );

  app.get<{ Params: { id: string }; Querystring: { recent?: number } }>(
    "/api/v1/triggers/:id",
    {
      schema: {
        summary: "One event trigger with its latest events",
        tags: ["triggers"],
        params: idParams,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { recent: { type: "integer", minimum: 0, maximum: 500, default: 20 } },
        },
        response: { 200: trigger, 404: errorReply },
      },
    },
    async (request) =>
      triggerView(
        await getTriggerStatus(ctx.service, request.params.id, { recent: request.query.recent ?? 20 }),
      ),
  );
}
