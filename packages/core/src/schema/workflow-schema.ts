import { notifyListSchema } from "../notify/types.js";
import {
  entryList,
  eventTriggerDefinitions,
  kinesisEntry,
  mqttEntry,
  natsEntry,
  postgresEntry,
  rabbitmqEntry,
  workflowEntry,
} from "../triggers/event-schema.js";
import { webhookEntry } from "../triggers/webhook.js";
import {
  duration,
  IDENTIFIER_PATTERN,
  inputSpec,
  inputs,
  pullRequestTrigger,
  pushTrigger,
  retry,
  runner,
  scalarMap,
  scheduleEntry,
  step,
  workerLost,
} from "./definitions.js";
import { innerStep, innerSteps, jobOutputs, services, strategy } from "./job-definitions.js";

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
    notify: notifyListSchema,
    secrets: { type: "object", additionalProperties: { type: "string" } },
    defaults: {
      type: "object",
      additionalProperties: false,
      properties: {
        shell: step.properties.shell,
        timeout: duration,
        working_directory: { type: "string" },
        retry,
        worker_lost: workerLost,
        runner,
      },
    },
    on: {
      type: "object",
      additionalProperties: false,
      properties: {
        manual: { type: ["object", "null"] },
        schedule: scheduleList,
        push: pushTrigger,
        pull_request: pullRequestTrigger,
        webhook: entryList("webhook_trigger", webhookEntry),
        rabbitmq: entryList("rabbitmq_trigger", rabbitmqEntry),
        kinesis: entryList("kinesis_trigger", kinesisEntry),
        postgres: entryList("postgres_trigger", postgresEntry),
        mqtt: entryList("mqtt_trigger", mqttEntry),
        nats: entryList("nats_trigger", natsEntry),
        workflow: entryList("workflow_trigger", workflowEntry),
        workflow_run: entryList("workflow_trigger", workflowEntry),
      },
    },
    public: {
      type: "boolean",
      description:
        "Its status badge (GET /badge/<workflow>.svg) is served without signing in; nothing else is public",
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
  definitions: {
    input: inputSpec,
    step,
    job_step: innerStep,
    job_steps: innerSteps,
    job_outputs: jobOutputs,
    strategy,
    services,
    schedule: scheduleEntry,
    ...eventTriggerDefinitions,
    webhook_trigger: webhookEntry,
  },
} as const;
