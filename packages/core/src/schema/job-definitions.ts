import { SHELLS } from "../format/types.js";
import { duration, IDENTIFIER_PATTERN } from "./definitions.js";

const expressionOrBoolean = {
  type: ["boolean", "string"],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the text shows users the expression syntax.
  description: "true/false, or an expression such as ${{ inputs.dry_run }}",
} as const;

/** One step of a job (`steps:` as a list) or of a composite action. */
export const innerStep = {
  type: "object",
  additionalProperties: false,
  properties: {
    id: {
      type: "string",
      pattern: IDENTIFIER_PATTERN,
      description: "Names the step for steps.<id> inside the job; must not repeat a DAG node's id",
    },
    name: { type: "string" },
    uses: { type: "string", description: "./path, library/path@ref or gantry/<name>" },
    run: { type: "string" },
    shell: { enum: [...SHELLS] },
    with: { type: "object" },
    env: { type: "object", additionalProperties: { type: ["string", "number", "boolean", "null"] } },
    if: {
      ...expressionOrBoolean,
      description:
        "Runs the step when true; success() unless a status function (always(), failure()) is used",
    },
    continue_on_error: expressionOrBoolean,
    timeout: duration,
    working_directory: { type: "string" },
  },
} as const;

export const innerSteps = {
  type: "array",
  minItems: 1,
  items: { $ref: "#/definitions/job_step" },
  description: "A job: steps run in order on one runner, in one workspace",
} as const;

const matrixValues = {
  type: ["array", "string"],
  minItems: 1,
  description: "The values of one axis, or an expression giving them",
} as const;
const combinationList = { type: "array", items: { type: "object" } } as const;

export const strategy = {
  type: "object",
  additionalProperties: false,
  required: ["matrix"],
  properties: {
    matrix: {
      type: ["object", "string"],
      description: "Axes (name: [values]) with include/exclude lists, or an expression giving such a map",
      properties: { include: combinationList, exclude: combinationList },
      additionalProperties: matrixValues,
    },
    fail_fast: {
      ...expressionOrBoolean,
      description: "Default true: after a leg fails, legs not yet started are cancelled",
    },
    max_parallel: { type: "integer", minimum: 1, description: "How many legs run at once (default all)" },
  },
} as const;

export const services = {
  type: "object",
  propertyNames: { pattern: "^[a-z0-9][a-z0-9_.-]*$" },
  description: "Service containers (docker jobs), reachable from the job by their names",
  additionalProperties: {
    type: "object",
    additionalProperties: false,
    required: ["image"],
    properties: {
      image: { type: "string" },
      env: { type: "object", additionalProperties: { type: ["string", "number", "boolean", "null"] } },
      ports: { type: "array", items: { type: ["string", "integer"] } },
      options: {
        type: "string",
        description:
          "--health-cmd, --health-interval, --health-timeout, --health-retries, --health-start-period",
      },
      command: { type: "array", items: { type: "string" } },
    },
  },
} as const;

export const jobOutputs = {
  type: "object",
  propertyNames: { pattern: IDENTIFIER_PATTERN },
  additionalProperties: { type: "string" },
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the text shows users the expression syntax.
  description: "A job's outputs for the DAG, e.g. version: ${{ steps.meta.outputs.version }}",
} as const;
