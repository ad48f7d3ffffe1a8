import { store } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";

/** Workers heartbeat every third of their lease (30 s by default): two leases of silence means gone. */
const ONLINE_WITHIN_MS = 60_000;
/** Workers that stopped are listed for a day, so a crashed one is still visible the morning after. */
const LISTED_FOR_MS = 86_400_000;

export const worker = {
  type: "object",
  properties: {
    id: { type: "string" },
    hostname: { type: "string" },
    kind: {
      type: "string",
      enum: ["worker", "agent"],
      description: "agent: reaches only the API (gantry agent); worker: reaches the store",
    },
    version: { type: ["string", "null"], description: "the Gantry version it runs (agents say)" },
    labels: { type: "array", items: { type: "string" }, description: "its labels and runner:<type> entries" },
    runners: { type: "array", items: { type: "string" }, description: "runner types it offers" },
    capacity: { type: "integer", description: "steps it runs at once" },
    running: { type: "integer", description: "steps it holds a lease on now" },
    state: { type: "string", enum: ["online", "silent"], description: "silent: no heartbeat for 60 s" },
    started_at: { type: "string", format: "date-time" },
    heartbeat_at: { type: "string", format: "date-time" },
  },
  required: [
    "id",
    "hostname",
    "labels",
    "runners",
    "capacity",
    "running",
    "state",
    "started_at",
    "heartbeat_at",
  ],
} as const;

/** `GET /api/v1/workers`: the fleet, as `gantry worker` processes report themselves through the store and
 * `gantry agent` processes through the agent API. */
export function workerRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get(
    "/api/v1/workers",
    {
      schema: {
        summary:
          "Workers seen in the last 24 hours: labels, runner types, capacity, running steps, heartbeat",
        tags: ["workers"],
        response: { 200: { type: "object", properties: { workers: { type: "array", items: worker } } } },
      },
    },
    async () => {
      const now = ctx.service.now();
      const rows = await store.listWorkers(ctx.service.database.db, now - LISTED_FOR_MS);
      return {
        workers: rows.map((row) => {
          const labels = store.decodeLabels(row);
          return {
            id: row.id,
            hostname: row.hostname,
            kind: row.kind === "agent" ? "agent" : "worker",
            version: row.version,
            labels,
            runners: labels.filter((l) => l.startsWith("runner:")).map((l) => l.slice("runner:".length)),
            capacity: row.capacity,
            running: row.running,
            state: now - row.heartbeat_at <= ONLINE_WITHIN_MS ? "online" : "silent",
            started_at: new Date(row.started_at).toISOString(),
            heartbeat_at: new Date(row.heartbeat_at).toISOString(),
          };
        }),
      };
    },
  );
}
