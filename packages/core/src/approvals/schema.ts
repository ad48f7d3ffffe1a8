import { DURATION_PATTERN } from "../format/duration.js";
import { ON_TIMEOUT } from "./types.js";

const names = { type: "array", items: { type: "string" } } as const;

export const approversSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    roles: { type: "array", items: { enum: ["viewer", "operator", "admin"] } },
    users: { ...names, description: "e-mail addresses, user:<subject> or key:<id>" },
    groups: { ...names, description: "values of the OIDC groups claim" },
  },
} as const;

/** `approval:` on a node (the input definitions are the workflow's own `#/definitions/input`). */
export const approvalSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    message: { type: "string" },
    approvers: approversSchema,
    inputs: {
      type: "object",
      propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_-]*$" },
      additionalProperties: { $ref: "#/definitions/input" },
    },
    timeout: {
      description: "A number of seconds, or a duration like 30m, 24h, 2d",
      anyOf: [
        { type: "number", minimum: 0 },
        { type: "string", pattern: DURATION_PATTERN },
      ],
    },
    on_timeout: { enum: [...ON_TIMEOUT], description: "What a timeout decides (default reject)" },
    allow_self: { type: "boolean", description: "The person who started the run may approve it" },
  },
} as const;

/** `environment:` on a step: the name of a gantry.yaml environment, or {name, url}. */
export const environmentUseSchema = {
  anyOf: [
    { type: "string", pattern: "^[A-Za-z0-9_.-]+$" },
    {
      type: "object",
      additionalProperties: false,
      required: ["name"],
      properties: {
        name: { type: "string", pattern: "^[A-Za-z0-9_.-]+$" },
        url: { type: "string" },
      },
    },
  ],
} as const;
