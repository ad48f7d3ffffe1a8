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
    trigger: {
      type: "object",
      properties: { type: { type: "string", description: "ui, api, manual, schedule, github, webhook, …" } },
      required: ["type"],
      additionalProperties: true,
    },
    created_at: { type: "string", format: "date-time" },
    started_at: { type: ["string", "null"], format: "date-time" },
    finished_at: { type: ["string", "null"], format: "date-time" },
  },
  required: ["id", "workflow", "status", "trigger", "created_at", "started_at", "finished_at"],
} as const;

/** One step of a job, as it ended in its last attempt. */
const jobStepReport = {
  type: "object",
  properties: {
    id: { type: ["string", "null"] },
    name: { type: "string" },
    status: { type: "string" },
    result: { type: ["string", "null"] },
    outcome: { type: ["string", "null"] },
    outputs: { type: "object", additionalProperties: true },
    exit_code: { type: ["integer", "null"] },
    duration_ms: { type: ["integer", "null"] },
    error: { type: "string" },
  },
  required: ["name", "status"],
  additionalProperties: true,
} as const;

/** One item of a step: a `for_each` item, a matrix leg or an ssh node. */
const stepItemReport = {
  type: "object",
  properties: {
    item: { description: "The item's value (a matrix leg's values)" },
    name: { type: "string", description: "A matrix leg's name, e.g. '18, ubuntu'" },
    status: { type: "string" },
    attempts: { type: "integer" },
    outputs: { type: "object", additionalProperties: true },
    exit_code: { type: ["integer", "null"] },
    steps: { type: "array", items: jobStepReport, description: "A job's steps (its last attempt)" },
  },
  required: ["status"],
  additionalProperties: true,
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
      items: jobStepReport,
    },
    items: {
      type: "array",
      description:
        "for_each items, matrix legs (with name, e.g. '18, ubuntu') or ssh nodes; a job's have steps",
      items: stepItemReport,
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
      properties: {
        kind: { type: "string", enum: ["approval", "environment"] },
        environment: { type: "string" },
        message: { type: "string" },
        decision: {
          type: "object",
          properties: { decision: { type: "string", enum: ["approve", "reject"] }, by: { type: "string" } },
          required: ["decision", "by"],
          additionalProperties: true,
        },
      },
      required: ["kind"],
      additionalProperties: true,
      description:
        "An approval node, or a step behind its environment's approval: what waits, and the decision",
    },
  },
  required: ["status"],
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
  required: [
    ...runSummary.required,
    "revision",
    "source",
    "commit",
    "attempt",
    "parent_run_id",
    "inputs",
    "outputs",
    "error",
    "steps",
    "summaries",
  ],
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
      properties: { type: { type: "string", const: "object" } },
      required: ["type"],
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
        required: ["id", "name", "needs"],
      },
    },
  },
  required: [
    "name",
    "description",
    "source",
    "file",
    "revision",
    "updated_at",
    "input_schema",
    "triggers",
    "steps",
  ],
} as const;

export { jsonValue };
