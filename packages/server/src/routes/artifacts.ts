import { NotFoundError, store } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { errorReply } from "./schemas.js";

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export const artifact = {
  type: "object",
  properties: {
    name: { type: "string" },
    step: {
      type: "string",
      description: "The step that uploaded it (its key; a job's step may have a longer one)",
    },
    files: { type: "integer" },
    size: { type: "integer", description: "Bytes of the .tar.gz" },
    sha256: { type: "string", description: "SHA-256 of the .tar.gz, hex" },
    created_at: { type: "string", format: "date-time" },
    expires_at: { type: ["string", "null"], format: "date-time" },
    download_url: { type: "string" },
  },
  required: ["name", "step", "files", "size", "sha256", "created_at", "expires_at", "download_url"],
} as const;

/** A run's artifacts: listed, and each downloadable as the .tar.gz the worker stored. */
export function artifactRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx.service.database;
  const downloadUrl = (runId: string, name: string) =>
    `/api/v1/runs/${encodeURIComponent(runId)}/artifacts/${encodeURIComponent(name)}`;

  app.get<{ Params: { id: string } }>(
    "/api/v1/runs/:id/artifacts",
    {
      schema: {
        summary: "The artifacts a run uploaded (gantry/upload-artifact)",
        tags: ["runs"],
        params: { type: "object", properties: { id: { type: "string", maxLength: 200 } }, required: ["id"] },
        response: {
          200: { type: "object", properties: { artifacts: { type: "array", items: artifact } } },
          404: errorReply,
        },
      },
    },
    async (request) => {
      const run = await store.getRun(db, request.params.id);
      if (!run) throw new NotFoundError(`unknown run '${request.params.id}'`);
      const rows = await store.listArtifacts(db, run.id);
      return {
        artifacts: rows.map((row) => ({
          name: row.name,
          step: row.step,
          files: Number(row.files),
          size: Number(row.size),
          sha256: row.sha256,
          created_at: iso(row.created_at),
          expires_at: iso(row.expires_at),
          download_url: downloadUrl(run.id, row.name),
        })),
      };
    },
  );

  app.get<{ Params: { id: string; name: string } }>(
    "/api/v1/runs/:id/artifacts/:name",
    {
      schema: {
        summary: "Download an artifact: a gzipped tar of its files (SHA-256 in the x-gantry-sha256 header)",
        tags: ["runs"],
        params: {
          type: "object",
          properties: { id: { type: "string", maxLength: 200 }, name: { type: "string", maxLength: 100 } },
          required: ["id", "name"],
        },
        response: { 404: errorReply },
      },
    },
    async (request, reply) => {
      const row = await store.getArtifact(db, request.params.id, request.params.name);
      if (!row)
        throw new NotFoundError(`run '${request.params.id}' has no artifact '${request.params.name}'`);
      if (row.expires_at !== null && Number(row.expires_at) < ctx.service.now()) {
        throw new NotFoundError(`artifact '${row.name}' expired on ${iso(row.expires_at)}`);
      }
      const body = await ctx.logArchive.open(row.object_key);
      if (!body)
        throw new NotFoundError(`artifact '${row.name}' is recorded but its object is gone from the store`);
      return reply
        .header("content-type", "application/gzip")
        .header("content-length", String(row.size))
        .header("content-disposition", `attachment; filename="${row.name}.tar.gz"`)
        .header("x-gantry-sha256", row.sha256)
        .header("x-content-type-options", "nosniff")
        .send(body);
    },
  );
}
