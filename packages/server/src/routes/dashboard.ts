import { listScheduleStatus, store } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { runSummary } from "./schemas.js";
import { runSummaryView } from "./views.js";

const HOUR_MS = 3_600_000;
const counts = { type: "object", additionalProperties: { type: "integer" } } as const;

/**
 * `GET /api/v1/dashboard`: what the UI's first page shows, in one request: runs per hour and status over
 * the last 24 hours, what is running, recent failures, the queue depth and the next scheduled fires.
 */
export function dashboardRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx.service.database;
  app.get(
    "/api/v1/dashboard",
    {
      schema: {
        summary:
          "Runs in the last 24 hours by hour and status, running runs, recent failures, queue, next fires",
        tags: ["runs"],
        response: {
          200: {
            type: "object",
            properties: {
              hours: {
                type: "array",
                items: {
                  type: "object",
                  properties: { start: { type: "string", format: "date-time" }, counts },
                },
              },
              totals: counts,
              queue_depth: { type: "integer" },
              running: { type: "array", items: runSummary },
              failures: { type: "array", items: runSummary },
              next_fires: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    schedule: { type: "string" },
                    workflow: { type: "string" },
                    time: { type: "string", format: "date-time" },
                  },
                },
              },
            },
          },
        },
      },
    },
    async () => {
      const now = ctx.service.now();
      const first = Math.floor(now / HOUR_MS) * HOUR_MS - 23 * HOUR_MS;
      const [byHour, queueDepth, running, failed, timedOut, schedules] = await Promise.all([
        store.runCountsByHour(db, first),
        store.queueDepth(db),
        store.listRuns(db, { status: "running", limit: 10 }),
        store.listRuns(db, { status: "failed", limit: 5 }),
        store.listRuns(db, { status: "timed_out", limit: 5 }),
        listScheduleStatus(ctx.service, { next: 1 }),
      ]);
      const hours = Array.from({ length: 24 }, (_, i) => ({
        start: first + i * HOUR_MS,
        counts: {} as Record<string, number>,
      }));
      const totals: Record<string, number> = {};
      for (const { hour, status, count } of byHour) {
        const bucket = hours[(hour - first) / HOUR_MS];
        if (bucket) bucket.counts[status] = (bucket.counts[status] ?? 0) + count;
        totals[status] = (totals[status] ?? 0) + count;
      }
      const failures = [...failed, ...timedOut].sort((a, b) => b.created_at - a.created_at).slice(0, 5);
      const nextFires = schedules
        .flatMap((s) => s.next.slice(0, 1).map((time) => ({ schedule: s.id, workflow: s.workflow, time })))
        .sort((a, b) => a.time - b.time)
        .slice(0, 5);
      return {
        hours: hours.map((h) => ({ start: new Date(h.start).toISOString(), counts: h.counts })),
        totals,
        queue_depth: queueDepth,
        running: running.map(runSummaryView),
        failures: failures.map(runSummaryView),
        next_fires: nextFires.map((f) => ({ ...f, time: new Date(f.time).toISOString() })),
      };
    },
  );
}
