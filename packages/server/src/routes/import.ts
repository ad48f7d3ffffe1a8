import {
  FEATURE_TABLES,
  IMPORT_KINDS,
  type ImportKind,
  importFile,
  MAX_SOURCE_BYTES,
  OUTCOMES,
} from "@gantry/import";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { errorReply } from "./schemas.js";

interface ImportBody {
  kind: ImportKind;
  text: string;
  file?: string;
  runner?: "kubernetes" | "docker";
}

const finding = {
  type: "object",
  properties: {
    feature: { type: "string" },
    source: { type: "string", description: "the feature as the source format names it" },
    outcome: {
      type: "string",
      enum: [...OUTCOMES],
      description: "difference: converted with a difference; manual: not converted; later: not converted yet",
    },
    detail: { type: "string" },
    explanation: { type: "string" },
    needs: { type: "string" },
    line: { type: "integer" },
    col: { type: "integer" },
    output: { type: "string" },
  },
} as const;

const output = {
  type: "object",
  properties: {
    path: { type: "string" },
    kind: { type: "string", enum: ["workflow", "action"] },
    name: { type: "string" },
    text: { type: "string" },
    complete: { type: "boolean" },
  },
} as const;

/**
 * `POST /api/v1/import`: converts one pasted or uploaded file, as `gantry import` does, for the UI's
 * Import page. Nothing is stored: the converter is pure, and the reply carries the files and the report.
 */
export function importRoutes(app: FastifyInstance, _ctx: ServerContext): void {
  app.post<{ Body: ImportBody }>(
    "/api/v1/import",
    {
      // The JSON body carries the file as a string: its own limit plus room for escaping.
      bodyLimit: MAX_SOURCE_BYTES * 2,
      schema: {
        summary:
          "Convert a GitHub Actions, CircleCI, Kubernetes CronJob or Rundeck file into Gantry workflows",
        tags: ["import"],
        body: {
          type: "object",
          additionalProperties: false,
          required: ["kind", "text"],
          properties: {
            kind: { type: "string", enum: [...IMPORT_KINDS] },
            text: { type: "string", maxLength: MAX_SOURCE_BYTES, description: "the file's content" },
            file: {
              type: "string",
              maxLength: 300,
              description: "its name, shown in the report and the output's header",
            },
            runner: {
              type: "string",
              enum: ["kubernetes", "docker"],
              description: "cronjob: the runner of the containers",
            },
          },
        },
        response: {
          200: {
            type: "object",
            properties: {
              file: { type: "string" },
              kind: { type: "string" },
              outputs: { type: "array", items: output },
              findings: { type: "array", items: finding },
              errors: { type: "array", items: { type: "string" } },
            },
          },
          400: errorReply,
        },
      },
    },
    async (request) => {
      const { kind, text, file, runner } = request.body;
      return importFile(kind, file || defaultName(kind), text, runner ? { runner } : {});
    },
  );

  app.get(
    "/api/v1/import/features",
    {
      schema: {
        summary: "Each converter's features and how each comes across (the compatibility table)",
        tags: ["import"],
      },
    },
    async () => ({ kinds: FEATURE_TABLES }),
  );
}

function defaultName(kind: ImportKind): string {
  return {
    "github-actions": "workflow.yml",
    circleci: "config.yml",
    cronjob: "cronjob.yaml",
    rundeck: "job.xml",
  }[kind];
}
