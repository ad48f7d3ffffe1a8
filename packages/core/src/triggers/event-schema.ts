/**
 * JSON Schemas (draft-07) of the event trigger entries under `on:` (rabbitmq, kinesis, postgres, mqtt,
 * nats, workflow). Each key takes a list of entries or one entry as a map, like `on.schedule`. Strings
 * that may hold credentials (url) also take secret references (`ref+env://AMQP_URL`).
 */

// A pattern rather than minLength: Ajv's standalone code for minLength needs require().
const text = { type: "string", pattern: "\\S" } as const;
const name = {
  type: "string",
  pattern: "^[A-Za-z_][A-Za-z0-9_-]*$",
  description: "Names the trigger (id <workflow>:<kind>:<name>); without it <workflow>:<kind>:<index>",
} as const;
const inputs = {
  type: "object",
  description:
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a JS template.
    "The run's inputs, each a value or an expression on the event such as ${{ trigger.payload.id }}",
} as const;

function entry<P extends Record<string, unknown>, R extends readonly string[]>(properties: P, required: R) {
  return {
    type: "object",
    additionalProperties: false,
    required,
    properties: { name, inputs, ...properties },
  } as const;
}

export const rabbitmqEntry = entry(
  {
    url: { ...text, description: "amqp://user:password@host:5672/vhost, or a secret reference" },
    queue: { ...text, description: "The queue to consume; declared durable when missing" },
    exchange: { type: "string", description: "Bind the queue to this exchange (which must exist)" },
    routing_key: {
      type: "string",
      description: "The binding's routing key (default '#' on topic exchanges)",
    },
    prefetch: {
      type: "integer",
      minimum: 1,
      maximum: 10000,
      description: "Unacknowledged messages at once (default 20)",
    },
    concurrency: {
      type: "integer",
      minimum: 1,
      maximum: 64,
      description:
        "Messages turned into runs at once (default 1: strictly in queue order); more raises the rate on PostgreSQL",
    },
    dead_letter: {
      type: "string",
      description:
        "A queue that messages which cannot start a run are moved to; without it they are rejected (the queue's own dead-letter exchange, if any, gets them)",
    },
  },
  ["url", "queue"] as const,
);

export const kinesisEntry = entry(
  {
    stream: text,
    region: text,
    endpoint: { type: "string", description: "Another endpoint than AWS (kinesalite, LocalStack)" },
    from: {
      enum: ["latest", "trim_horizon"],
      description: "Where a stream without a checkpoint is read from (default latest)",
    },
  },
  ["stream", "region"] as const,
);

export const postgresEntry = entry(
  {
    url: { ...text, description: "postgres://user:password@host/db, or a secret reference" },
    channel: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_$]*$", description: "LISTEN on this channel" },
    table: {
      type: "string",
      pattern: "^[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)?$",
      description: "Follow this table's changes through logical replication (pgoutput)",
    },
    operations: {
      type: "array",
      items: { enum: ["insert", "update", "delete"] },
      description: "Which changes start runs (default all three)",
    },
  },
  ["url"] as const,
);

export const mqttEntry = entry(
  {
    url: { ...text, description: "mqtt://host:1883 (mqtts://, ws://, wss://), or a secret reference" },
    topic: { ...text, description: "A topic filter; + and # wildcards allowed" },
    qos: { enum: [0, 1, 2], description: "Default 1: delivered at least once, kept while Gantry is away" },
  },
  ["url", "topic"] as const,
);

export const natsEntry = entry(
  {
    url: { ...text, description: "nats://host:4222, or a secret reference" },
    subject: { ...text, description: "A subject; * and > wildcards allowed" },
    stream: { type: "string", description: "A JetStream stream: consume it through a durable consumer" },
    durable: {
      type: "string",
      description: "The durable consumer's name (default gantry-<workflow>-<index>)",
    },
  },
  ["url", "subject"] as const,
);

/** `on.workflow`: here `name` is the other workflow's (the entry's id is <workflow>:workflow:<index>). */
export const workflowEntry = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: {
    name: { ...text, description: "The workflow whose finished runs start this one" },
    inputs,
    result: {
      type: "array",
      items: { enum: ["success", "failure", "cancelled"] },
      description: "Which results start a run (default success and failure)",
    },
  },
} as const;

/** `on.<kind>`: a list of entries or one entry as a map, as for `on.schedule`. */
export function entryList<
  E extends { additionalProperties: false; required: readonly string[]; properties: object },
>(ref: string, spec: E) {
  return {
    type: ["array", "object"],
    items: { $ref: `#/definitions/${ref}` },
    additionalProperties: spec.additionalProperties,
    required: spec.required,
    properties: spec.properties,
  } as const;
}

export const eventTriggerDefinitions = {
  rabbitmq_trigger: rabbitmqEntry,
  kinesis_trigger: kinesisEntry,
  postgres_trigger: postgresEntry,
  mqtt_trigger: mqttEntry,
  nats_trigger: natsEntry,
  workflow_trigger: workflowEntry,
} as const;
