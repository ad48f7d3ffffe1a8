import {
  MAX_SELECTOR_LENGTH,
  type NodeRecord,
  NodeSelectorError,
  parseNodeSelector,
  publicNode,
  selectNodes,
} from "@gantry/core";
import { fingerprint, InvalidInputError, parsePublicKey } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { errorReply } from "./schemas.js";

export const nodeView = {
  type: "object",
  properties: {
    name: { type: "string" },
    host: { type: "string" },
    port: { type: "integer" },
    user: { type: ["string", "null"], description: "null: the worker's own user name" },
    tags: { type: "array", items: { type: "string" } },
    attributes: { type: "object", additionalProperties: { type: "string" } },
    auth: {
      type: "string",
      enum: ["key", "password", "none"],
      description: "how it logs in (never the secret)",
    },
    host_keys: {
      type: "array",
      items: {
        type: "object",
        properties: { type: { type: "string" }, fingerprint: { type: "string" } },
        required: ["type", "fingerprint"],
      },
      description: "its own host_key entries; empty: the worker's known_hosts decides",
    },
    origin: { type: "string", description: "gantry.yaml, a file, or <source>:<path>@<commit>" },
  },
  required: ["name", "host", "port", "user", "tags", "attributes", "auth", "host_keys", "origin"],
} as const;

/** `GET /api/v1/nodes`: the inventory steps on runner type ssh choose from, optionally filtered. */
export function nodeRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Querystring: { filter?: string } }>(
    "/api/v1/nodes",
    {
      schema: {
        summary: "The node inventory (gantry.yaml nodes:, node files, Ansible inventories), without secrets",
        tags: ["nodes"],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            filter: {
              type: "string",
              maxLength: MAX_SELECTOR_LENGTH,
              description: "a node selector, as runner.nodes takes it: tags:web and env:prod",
            },
          },
        },
        response: {
          200: {
            type: "object",
            properties: {
              nodes: { type: "array", items: nodeView },
              total: { type: "integer", description: "nodes in the inventory, before the filter" },
              problems: {
                type: "array",
                items: { type: "string" },
                description: "entries and files that could not be read, with where and why",
              },
            },
            required: ["nodes", "total", "problems"],
          },
          400: errorReply,
        },
      },
    },
    async (request) => {
      const state = ctx.nodes ? await ctx.nodes.current() : { nodes: [], origins: {}, problems: [] };
      let nodes: NodeRecord[] = state.nodes;
      const filter = request.query.filter;
      if (filter !== undefined && filter.trim() !== "") {
        try {
          nodes = selectNodes(parseNodeSelector(filter), nodes);
        } catch (error) {
          if (!(error instanceof NodeSelectorError)) throw error;
          throw new InvalidInputError([{ field: "filter", message: `filter: ${error.message}` }]);
        }
      }
      return {
        nodes: nodes.map((node) => {
          const { host_key, port, user, ...rest } = publicNode(node);
          return {
            ...rest,
            port: port ?? 22,
            user: user ?? null,
            host_keys: (host_key ?? []).map((k) => {
              const key = parsePublicKey(k);
              return { type: key.type, fingerprint: fingerprint(key.blob) };
            }),
            origin: state.origins[node.name] ?? "gantry.yaml",
          };
        }),
        total: state.nodes.length,
        problems: state.problems,
      };
    },
  );
}
