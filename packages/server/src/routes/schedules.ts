import {
  fireScheduleNow,
  getScheduleStatus,
  listScheduleStatus,
  type ScheduleFire,
  type ScheduleStatus,
  scheduleFires,
  suspendSchedule,
  withUnitOfWork,
} from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { idParams, NAME_LENGTH } from "./limits.js";
import { errorReply } from "./schemas.js";

const iso = (ms: number) => new Date(ms).toISOString();

export const scheduleFire = {
  type: "object",
  properties: {
    scheduled_time: { type: "string", format: "date-time" },
    kind: { type: "string", enum: ["cron", "manual"], description: "manual: fired through /fire" },
    status: {
      type: "string",
      enum: ["fired", "skipped", "missed", "failed"],
      description:
        "skipped: a run of the schedule was active (concurrency: forbid); missed: catch-up policy or starting deadline",
    },
    run_id: { type: ["string", "null"] },
    reason: { type: ["string", "null"] },
    recorded_at: { type: "string", format: "date-time" },
  },
  required: ["scheduled_time", "kind", "status", "run_id", "reason", "recorded_at"],
} as const;

export const schedule = {
  type: "object",
  properties: {
    id: { type: "string", description: "<workflow>:<name>, or <workflow>:<index in on.schedule>" },
    workflow: { type: "string" },
    cron: { type: "string" },
    timezone: { type: "string" },
    state: { type: "string", enum: ["active", "suspended"] },
    inputs: { type: "object", additionalProperties: true },
    concurrency: { type: "string", enum: ["allow", "forbid", "replace"] },
    catch_up: { type: "string", enum: ["none", "latest", "all"] },
    starting_deadline_seconds: { type: ["number", "null"] },
    next: {
      type: "array",
      items: { type: "string", format: "date-time" },
      description: "The next fire times (none while suspended)",
    },
    last_fire: { anyOf: [scheduleFire, { type: "null" }] },
  },
  required: [
    "id",
    "workflow",
    "cron",
    "timezone",
    "state",
    "inputs",
    "concurrency",
    "catch_up",
    "starting_deadline_seconds",
    "next",
    "last_fire",
  ],
} as const;

const nextQuery = {
  type: "object",
  additionalProperties: false,
  properties: { next: { type: "integer", minimum: 0, maximum: 100, default: 5 } },
} as const;

function fireView(fire: ScheduleFire) {
  return {
    scheduled_time: iso(fire.scheduledAt),
    kind: fire.kind,
    status: fire.status,
    run_id: fire.runId,
    reason: fire.reason,
    recorded_at: iso(fire.recordedAt),
  };
}

function scheduleView(status: ScheduleStatus) {
  return {
    id: status.id,
    workflow: status.workflow,
    cron: status.cron,
    timezone: status.timezone,
    state: status.state,
    inputs: status.inputs,
    concurrency: status.concurrency,
    catch_up: status.catchUp,
    starting_deadline_seconds: status.startingDeadlineMs === null ? null : status.startingDeadlineMs / 1000,
    next: status.next.map(iso),
    last_fire: status.lastFire ? fireView(status.lastFire) : null,
  };
}

export function scheduleRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Querystring: { workflow?: string; next?: number } }>(
    "/api/v1/schedules",
    {
      schema: {
        summary: "Every schedule: expression, time zone, state, next fire times and last fire",
        tags: ["schedules"],
        querystring: {
          ...nextQuery,
          properties: { ...nextQuery.properties, workflow: { type: "string", maxLength: NAME_LENGTH } },
        },
        response: {
          200: { type: "object", properties: { schedules: { type: "array", items: schedule } } },
          400: errorReply,
        },
      },
    },
    async (request) => ({
      schedules: (
        await listScheduleStatus(ctx.service, {
          next: request.query.next ?? 5,
          ...(request.query.workflow ? { workflow: request.query.workflow } : {}),
        })
      ).map(scheduleView),
    }),
  );

  app.get<{ Params: { id: string }; Querystring: { next?: number } }>(
    "/api/v1/schedules/:id",
    {
      schema: {
        summary: "One schedule",
        tags: ["schedules"],
        params: idParams,
        querystring: nextQuery,
        response: { 200: schedule, 404: errorReply },
      },
    },
    async (request) =>
      scheduleView(
        await getScheduleStatus(ctx.service, request.params.id, { next: request.query.next ?? 5 }),
      ),
  );

  for (const [action, suspended] of [
    ["suspend", true],
    ["resume", false],
  ] as const) {
    app.post<{ Params: { id: string } }>(
      `/api/v1/schedules/:id/${action}`,
      {
        schema: {
          summary:
            action === "suspend"
              ? "Suspend a schedule: no fires until resumed (kept across workflow syncs)"
              : "Resume a schedule: it fires from its next time on; times passed while suspended are not caught up",
          tags: ["schedules"],
          params: idParams,
          response: { 200: schedule, 404: errorReply },
        },
      },
      async (request) => {
        await withUnitOfWork(ctx.service, (tx) =>
          suspendSchedule(ctx.service, tx, request.params.id, suspended),
        );
        return scheduleView(await getScheduleStatus(ctx.service, request.params.id));
      },
    );
  }

  app.post<{ Params: { id: string } }>(
    "/api/v1/schedules/:id/fire",
    {
      schema: {
        summary: "Fire now: start a run of the schedule at once, recorded as a manual fire",
        tags: ["schedules"],
        params: idParams,
        response: {
          201: {
            type: "object",
            properties: {
              run_id: { type: "string" },
              status: { type: "string" },
              scheduled_time: { type: "string", format: "date-time" },
            },
          },
          400: errorReply,
          404: errorReply,
          409: errorReply,
        },
      },
    },
    async (request, reply) => {
      const fired = await fireScheduleNow(ctx.service, request.params.id);
      return reply
        .code(201)
        .send({ run_id: fired.runId, status: fired.status, scheduled_time: iso(fired.scheduledAt) });
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit?: number; before?: string } }>(
    "/api/v1/schedules/:id/fires",
    {
      schema: {
        summary: "A schedule's fire history, newest first: fired (with the run), skipped, missed, failed",
        tags: ["schedules"],
        params: idParams,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            limit: { type: "integer", minimum: 1, maximum: 500, default: 50 },
            before: {
              type: "string",
              format: "date-time",
              maxLength: 40,
              description: "next_cursor of the previous page",
            },
          },
        },
        response: {
          200: {
            type: "object",
            properties: {
              fires: { type: "array", items: scheduleFire },
              next_cursor: { type: ["string", "null"] },
            },
          },
          400: errorReply,
          404: errorReply,
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const before = request.query.before === undefined ? undefined : Date.parse(request.query.before);
      const fires = await scheduleFires(ctx.service, request.params.id, {
        limit: limit + 1,
        ...(before !== undefined ? { before } : {}),
      });
      const page = fires.slice(0, limit);
      const last = page.at(-1);
      return {
        fires: page.map(fireView),
        next_cursor: fires.length > limit && last ? iso(last.scheduledAt) : null,
      };
    },
  );
}
