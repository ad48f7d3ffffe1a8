import {
  duration,
  IDENTIFIER_PATTERN,
  inputSpec,
  inputs,
  retry,
  runner,
  scalarMap,
  scheduleEntry,
  step,
} from "./definitions.js";

const triggerList = { type: ["array", "object"] } as const;

/**
 * A list of schedule entries, or one entry as a map. `items` constrains only the list form and
 * `required`/`properties` only the map form, so both get precise problems without an anyOf (whose
 * failure would explain itself in one vague line).
 */
const scheduleList = {
  type: ["array", "object"],
  items: { $ref: "#/definitions/schedule" },
  additionalProperties: scheduleEntry.additionalProperties,
  required: scheduleEntry.required,
  properties: scheduleEntry.properties,
} as const;

/** JSON Schema (draft-07, which yaml-language-server and Ajv both speak) of a workflow file. */
export const workflowSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "Gantry workflow",
  type: "object",
  additionalProperties: false,
  required: ["steps"],
  properties: {
    name: { type: "string" },
    description: { type: "string" },
    inputs,
    outputs: {
      type: "object",
      propertyNames: { pattern: IDENTIFIER_PATTERN },
      additionalProperties: {
        type: ["string", "number", "boolean", "object", "array", "null"],
        properties: { value: {}, description: { type: "string" } },
      },
    },
    env: scalarMap,
    secrets: { type: "object", additionalProperties: { type: "string" } },
    defaults: {
      type: "object",
      additionalProperties: false,
      properties: {
        shell: step.properties.shell,
        timeout: duration,
        working_directory: { type: "string" },
        retry,
        runner,
      },
    },
    on: {
      type: "object",
      additionalProperties: false,
      properties: {
        manual: { type: ["object", "null"] },
        schedule: scheduleList,
        push: { type: ["object", "null"] },
        pull_request: { type: ["object", "null"] },
        webhook: triggerList,
        rabbitmq: triggerList,
        kinesis: triggerList,
        postgres: triggerList,
        mqtt: triggerList,
        nats: triggerList,
        workflow_run: triggerList,
      },
    },
    concurrency: {
      type: "object",
      additionalProperties: false,
      required: ["group"],
      properties: { group: { type: "string" }, policy: { enum: ["queue", "cancel-running", "skip"] } },
    },
    steps: {
      type: "object",
      minProperties: 1,
      propertyNames: { pattern: IDENTIFIER_PATTERN },
      additionalProperties: { $ref: "#/definitions/step" },
    },
  },
  definitions: { input: inputSpec, step, schedule: scheduleEntry },
} as const;
