// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests are full of workflow expressions
import { describe, expect, it } from "vitest";
import { validateWorkflowText } from "../validate/workflow.js";

describe("validation of event trigger entries (file:line:col)", () => {
  const problems = (text: string) =>
    validateWorkflowText("w.yaml", text).problems.map((p) => `${p.line}:${p.col}: ${p.message}`);

  it("accepts every kind", () => {
    expect(
      problems(`name: ok
inputs: {id: {type: string, required: true}}
on:
  rabbitmq: [{url: "ref+env://AMQP_URL", queue: q, exchange: x, routing_key: "a.*", prefetch: 5, dead_letter: dlq, inputs: {id: "\${{ trigger.payload.id }}"}}]
  kinesis: {stream: s, region: eu-west-1, endpoint: "http://127.0.0.1:4567", from: trim_horizon, inputs: {id: x}}
  postgres:
    - {url: "postgres://h/db", channel: jobs, inputs: {id: x}}
    - {url: "postgres://h/db", table: public.orders, operations: [insert, delete], inputs: {id: x}}
  mqtt: {url: "mqtt://h", topic: "sensors/+/temp", qos: 1, inputs: {id: x}}
  nats: {url: "nats://h", subject: "orders.>", stream: ORDERS, durable: gantry, inputs: {id: x}}
  workflow: {name: build, result: [success, failure], inputs: {id: x}}
steps:
  a: {run: "true"}
`),
    ).toEqual([]);
  });

  it("reports unknown keys, missing keys, wrong values and mappings at their place", () => {
    expect(
      problems(`name: bad
inputs: {id: {type: string, required: true}}
on:
  rabbitmq: {url: "amqp://h", queu: q}
  postgres:
    - {url: "postgres://h/db", channel: jobs, table: t, inputs: {id: x}}
    - {url: "postgres://h/db", channel: jobs, operations: [insert], inputs: {id: x}}
    - {url: "postgres://h/db", channel: gantry_jobs, inputs: {id: x}}
  mqtt: {url: "mqtt://h", topic: "a", qos: 3, inputs: {id: x, other: y}}
  kinesis: {stream: s, region: r, from: earliest, inputs: {id: x}}
steps:
  a: {run: "true"}
`),
    ).toEqual([
      // The schema's problems first, then the trigger entries' own checks.
      "4:13: on.rabbitmq: missing required key 'queue'",
      "4:31: on.rabbitmq: unknown key 'queu' (did you mean 'queue'?)",
      "9:44: on.mqtt.qos: number 3 is not allowed; allowed values: 0, 1, 2",
      '10:41: on.kinesis.from: \'earliest\' is not allowed; allowed values: "latest", "trim_horizon"',
      "4:3: on.rabbitmq.inputs: input 'id' is required: map it from the event, e.g. id: ${{ trigger.payload.id }}",
      "6:7: on.postgres.0: give either 'channel' (LISTEN/NOTIFY) or 'table' (logical replication), not both",
      "7:47: on.postgres.1.operations: 'operations' applies to 'table' (logical replication), not to 'channel'",
      "8:41: on.postgres.2.channel: channels starting with 'gantry_' are Gantry's own (it wakes its workers on them); choose another name",
      "9:63: on.mqtt.inputs: 'other' is not an input of this workflow (inputs: id)",
    ]);
  });

  it("come from validateWorkflowText with the file's other problems, each at file:line:col", () => {
    const text = `name: mapped
on:
  mqtt: {url: "mqtt://h", topic: t, inputs: {nope: x}}
steps:
  a: {run: "true"}
`;
    const validation = validateWorkflowText("flows/mapped.yaml", text);
    expect(validation.workflow).toBeUndefined();
    expect(validation.problems).toEqual([
      {
        file: "flows/mapped.yaml",
        line: 3,
        col: 46,
        message: "on.mqtt.inputs: 'nope' is not an input of this workflow",
      },
    ]);
  });
});
