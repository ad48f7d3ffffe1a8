import {
  type AuditOf,
  checkOptionInputs,
  OptionsResolver,
  OptionsSourceError,
  startRun,
} from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { NAME_LENGTH } from "./limits.js";
import { errorReply } from "./schemas.js";

/** Query values longer than this are refused: they name inputs a list depends on, not documents. */
const MAX_VALUE_CHARS = 4096;
const MAX_VALUES = 64;

const choice = {
  type: "object",
  properties: { value: { type: ["string", "number", "boolean"] }, label: { type: "string" } },
  required: ["value"],
} as const;

/**
 * `GET /api/v1/workflows/{name}/inputs/{input}/options?region=…`: the current options of an
 * `options_from` choice, computed for the values of the inputs it depends on (given as query
 * parameters). Also checks submitted runs: a value of such an input must be among its current options.
 */
export function inputOptionRoutes(app: FastifyInstance, ctx: ServerContext): OptionsResolver {
  const resolver = ctx.options ?? new OptionsResolver(ctx.service);

  app.get<{ Params: { name: string; input: string }; Querystring: Record<string, string> }>(
    "/api/v1/workflows/:name/inputs/:input/options",
    {
      schema: {
        summary:
          "The current options of a choice input with options_from, for the values of the inputs it depends on (query parameters)",
        tags: ["workflows"],
        params: {
          type: "object",
          properties: {
            name: { type: "string", maxLength: NAME_LENGTH },
            input: { type: "string", maxLength: NAME_LENGTH },
          },
          required: ["name", "input"],
        },
        querystring: {
          type: "object",
          maxProperties: MAX_VALUES,
          additionalProperties: { type: "string", maxLength: MAX_VALUE_CHARS },
        },
        response: {
          200: {
            type: "object",
            properties: {
              options: { type: "array", items: choice },
              waiting_for: {
                type: "array",
                items: { type: "string" },
                description: "Inputs it depends on that have no value yet",
              },
              computed_at: { type: "string", format: "date-time" },
              run_id: { type: "string", description: "The run that computed the list (script or workflow)" },
            },
          },
          400: errorReply,
          404: errorReply,
          502: errorReply,
        },
      },
    },
    async (request, reply) => {
      try {
        const answer = await resolver.options(request.params.name, request.params.input, request.query);
        return { ...answer, computed_at: new Date(answer.computed_at).toISOString() };
      } catch (error) {
        if (error instanceof OptionsSourceError) return reply.code(502).send({ error: error.message });
        throw error;
      }
    },
  );
  return resolver;
}

/** Starts a run after checking each `options_from` input's value against its current options. */
export async function startCheckedRun(
  ctx: ServerContext,
  resolver: OptionsResolver,
  workflow: string,
  inputs: Record<string, unknown>,
  trigger: { type: string } & Record<string, unknown>,
  audit?: AuditOf,
) {
  await checkOptionInputs(ctx.service, workflow, inputs, resolver);
  // The workflow's row comes from the process's cache, checked as the run is written (see startRun):
  // an unknown workflow is refused there.
  return startRun(ctx.service, { workflow, inputs, trigger }, undefined, audit);
}
