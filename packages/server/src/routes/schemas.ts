import { RUN_STATUSES } from "@gantry/core";

/** JSON Schemas of the API's bodies and replies: Fastify validates with them and the OpenAPI document shows them. */

export const errorReply = {
  type: "object",
  properties: {
    error: { type: "string" },
    errors: {
      type: "array",
      items: { type: "object", properties: { field: { type: "string" }, message: { type: "string" } } },
    },
  },
  required: ["error"],
} as const;

const jsonValue = {} as const;

export const runSummary = {
  type: "object",
  properties: {
    id: { type: "string" },
    workflow: { type: "string" },
    status: {
      type: "string",
      enum: RUN_STATUSES,
    },
    trigger: { type: "object", additionalProperties: true },
    created_at: { type: "string", format: "date-time" },
    started_at: { type: ["string", "null"], format: "date-time" },
    finished_at: { type: ["string", "null"], format: "date-time" },
  },
  required: ["id", "workflow", "status", "trigger", "created_at", "started_at", "finished_at"],
} as const;

export const stepReport = {
  type: "object",
  properties: {
    status: { type: "string" },
    result: { type: ["string", "null"] },
    attempts: { type: "integer" },
    outputs: { type: "object", additionalProperties: true },
    exit_code: { type: ["integer", "null"] },
    duration_ms: { type: ["integer", "null"] },
    error: { type: "string" },
    steps: {
      type: "array",
      description:
        "A job's steps (its last attempt): id, name, status, result, outcome, outputs, duration_ms",
      items: { type: "object", additionalProperties: true },
    },
    items: {
      type: "array",
      description:
        "for_each items, matrix legs (with name, e.g. '18, ubuntu') or ssh nodes; a job's have steps",
      items: { type: "object", additionalProperties: true },
    },
    summary: {
      type: "string",
      description: "Markdown the step appended to $GANTRY_STEP_SUMMARY (masked; newest attempt per item)",
    },
    waiting_for: {
      type: "string",
      description: "Set while the step is queued: the labels a worker must have, e.g. runner:docker",
    },
    warning: { type: "string", description: "Set when no live worker has those labels" },
    gate: {
      type: "object",
      additionalProperties: true,
      description:
        "An approval node, or a step behind its environment's approval: what waits, and the decision",
    },
  },
} as const;

export const runDetail = {
  type: "object",
  properties: {
    ...runSummary.properties,
    revision: { type: "string" },
    source: { type: ["string", "null"], description: "The git source the workflow came from" },
    commit: { type: ["string", "null"], description: "The source's commit this run (and its re-runs) used" },
    attempt: { type: "integer" },
    parent_run_id: { type: ["string", "null"] },
    inputs: { type: "object", additionalProperties: true, description: "Without secret-typed inputs" },
    outputs: { type: "object", additionalProperties: true },
    error: { type: ["string", "null"] },
    steps: { type: "object", additionalProperties: stepReport },
    summaries: {
      type: "array",
      description:
        "Every step attempt's summary; `step` is the step's key (a job's step may have a longer one)",
      items: {
        type: "object",
        properties: {
          step: { type: "string" },
          item_index: { type: "integer" },
          attempt: { type: "integer" },
          markdown: { type: "string" },
        },
        required: ["step", "item_index", "attempt", "markdown"],
      },
    },
  },
  required: [...runSummary.required, "inputs", "outputs", "steps"],
} as const;

export const workflowSummary = {
  type: "object",
  properties: {
    name: { type: "string" },
    description: { type: ["string", "null"] },
    source: { type: "string" },
    file: { type: "string" },
    revision: { type: "string" },
    updated_at: { type: "string", format: "date-time" },
    input_schema: {
      type: "object",
      additionalProperties: true,
      description: "JSON Schema of the run inputs",
    },
    triggers: { type: "object", additionalProperties: true },
    last_run: { anyOf: [runSummary, { type: "null" }], description: "The newest run (in the list only)" },
    steps: {
      type: "array",
      items: {
        type: "object",
        properties: {
          id: { type: "string" },
          name: { type: "string" },
          needs: { type: "array", items: { type: "string" } },
          unsafe_interpolation: {
            type: "boolean",
            description: "true: the step splices outside text into its script (it opted out of the check)",
          },
        },
      },
    },
  },
  required: ["name", "source", "revision", "input_schema", "steps"],
} as const;

export { jsonValue };
