// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import { randomUUID } from "node:crypto";
import mqtt from "mqtt";
import { AckPolicy, connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqliteDatabase } from "../testing/databases.js";
import { waitFor } from "../testing/wait-for.js";
import { triggerFixture } from "./trigger-suite.js";

/** Mosquitto and NATS (with JetStream) on this machine (ENVIRONMENT.md); the tests fail when they are down. */
const MQTT_URL = process.env.GANTRY_TEST_MQTT_URL ?? "mqtt://127.0.0.1:1883";
const NATS_URL = process.env.GANTRY_TEST_NATS_URL ?? "nats://127.0.0.1:4222";

const f = triggerFixture(sqliteDatabase);
const suffix = randomUUID().slice(0, 8);

describe("on.mqtt against Mosquitto", () => {
  let publisher: mqtt.MqttClient;
  const ID = "sensors:mqtt:temps";
  beforeAll(async () => {
    try {
      publisher = await mqtt.connectAsync(MQTT_URL, { reconnectPeriod: 0, connectTimeout: 5_000 });
    } catch (error) {
      throw new Error(
        `Mosquitto is not reachable at ${MQTT_URL} (${(error as Error).message}): start it with \`mosquitto -d -c /etc/mosquitto/mosquitto.conf\``,
      );
    }
    await f.register({
      "sensors.yaml": `name: sensors
inputs: {room: {type: string, required: true}, celsius: {type: number, required: true}}
on:
  mqtt:
    name: temps
    url: ${MQTT_URL}
    topic: "gantry-${suffix}/+/temperature/#"
    qos: 1
    inputs: {room: "\${{ trigger.payload.room }}", celsius: "\${{ trigger.payload.c }}"}
steps:
  a: {run: "true"}
`,
    });
  });
  afterAll(async () => {
    await publisher?.endAsync();
  });

  it("starts a run per message on topics matching the wildcards, only those", async () => {
    await f.listeners();
    await f.waitForState(ID, "connected");
    const base = `gantry-${suffix}`;
    await publisher.publishAsync(
      `${base}/kitchen/temperature`,
      JSON.stringify({ room: "kitchen", c: 21.5 }),
      { qos: 1 },
    );
    await publisher.publishAsync(`${base}/hall/humidity`, JSON.stringify({ room: "hall", c: 0 }), { qos: 1 });
    await publisher.publishAsync(`${base}/attic/temperature/max`, JSON.stringify({ room: "attic", c: 30 }), {
      qos: 1,
    });
    const runs = await f.waitForRuns("sensors", 2);
    expect(runs.map((r) => r.inputs)).toEqual([
      { room: "kitchen", celsius: 21.5 },
      { room: "attic", celsius: 30 },
    ]);
    expect(runs[0]?.trigger).toMatchObject({ type: "mqtt", topic: `${base}/kitchen/temperature`, qos: 1 });
  });

  it("keeps the session: QoS 1 messages published while Gantry is down start runs when it is back", async () => {
    const set = await f.listeners();
    await f.waitForState(ID, "connected");
    await set.stop();
    await publisher.publishAsync(
      `gantry-${suffix}/cellar/temperature`,
      JSON.stringify({ room: "cellar", c: 12 }),
      {
        qos: 1,
      },
    );
    await f.listeners();
    const runs = await f.waitForRuns("sensors", 3);
    expect(runs[2]?.inputs).toEqual({ room: "cellar", celsius: 12 });
  });
});

describe("on.nats against NATS with JetStream", () => {
  let nc: NatsConnection;
  const stream = `GANTRY_${suffix}`;
  beforeAll(async () => {
    try {
      nc = await connect({ servers: NATS_URL.replace(/^nats:\/\//, ""), timeout: 5_000 });
    } catch (error) {
      throw new Error(
        `NATS is not reachable at ${NATS_URL} (${(error as Error).message}): start it as ENVIRONMENT.md says (nats-server -js)`,
      );
    }
    await f.register({
      "nats.yaml": `name: natsflow
inputs: {n: {type: integer, required: true}}
on:
  nats:
    - {url: "${NATS_URL}", subject: "core-${suffix}.*", inputs: {n: "\${{ trigger.payload.n }}"}}
    - {url: "${NATS_URL}", subject: "js-${suffix}.>", stream: ${stream}, durable: gantry, inputs: {n: "\${{ trigger.payload.n }}"}}
steps:
  a: {run: "true"}
`,
    });
  });
  afterAll(async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(stream).catch(() => {});
    await nc.drain();
  });

  it("core subjects with wildcards start runs", async () => {
    await f.listeners();
    await f.waitForState("natsflow:nats:0", "connected");
    nc.publish(`core-${suffix}.a`, JSON.stringify({ n: 1 }));
    nc.publish(`core-${suffix}.a.b`, JSON.stringify({ n: 99 })); // `*` is one token: not matched
    nc.publish(`core-${suffix}.b`, JSON.stringify({ n: 2 }));
    await nc.flush();
    const runs = await f.waitForRuns("natsflow", 2);
    expect(runs.map((r) => r.inputs.n)).toEqual([1, 2]);
    expect(runs[0]?.trigger).toMatchObject({ type: "nats", subject: `core-${suffix}.a` });
  });

  it("a JetStream durable consumer delivers what was published while Gantry was down, each once", async () => {
    const before = (await f.runs("natsflow")).length;
    const set = await f.listeners();
    await f.waitForState("natsflow:nats:1", "connected");
    await set.stop();
    const js = nc.jetstream();
    for (const n of [10, 11, 12]) await js.publish(`js-${suffix}.x`, JSON.stringify({ n }));
    await f.listeners();
    const runs = await f.waitForRuns("natsflow", before + 3);
    expect(runs.slice(before).map((r) => r.inputs.n)).toEqual([10, 11, 12]);
    expect(runs[before]?.trigger).toMatchObject({ stream, durable: "gantry", sequence: 1 });
    // Each message was acknowledged once its run was recorded.
    const jsm = await nc.jetstreamManager();
    const consumer = await waitFor(async () => {
      const info = await jsm.consumers.info(stream, "gantry");
      return info.num_ack_pending === 0 && info.delivered.stream_seq === 3 ? info : undefined;
    });
    expect(consumer.config.ack_policy).toBe(AckPolicy.Explicit);
  });
});
