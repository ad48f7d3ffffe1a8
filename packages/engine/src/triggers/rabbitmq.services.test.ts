// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import { randomUUID } from "node:crypto";
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../store/database.js";
import { postgresDatabase } from "../testing/databases.js";
import { startPrivateRabbitmq } from "../testing/private-rabbitmq.js";
import { waitFor } from "../testing/wait-for.js";
import { triggerFixture } from "./trigger-suite.js";

/** RabbitMQ on this machine (ENVIRONMENT.md): the test fails, never skips, when it is not running. */
const AMQP_URL = process.env.GANTRY_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

const f = triggerFixture(postgresDatabase);
const suffix = randomUUID().slice(0, 8);
const queue = `gantry-test-${suffix}`;
const deadLetters = `gantry-test-${suffix}-dlq`;

let connection: amqp.ChannelModel;
let channel: amqp.ConfirmChannel;

/** Waits up to a minute for a broker that is still starting, then fails saying how to start it. */
async function openBroker() {
  connection = await waitFor(() => amqp.connect(AMQP_URL), {
    timeoutMs: 60_000,
    intervalMs: 1_000,
    what: "RabbitMQ to accept a connection",
  }).catch((error: Error) => {
    throw new Error(
      `RabbitMQ is not reachable at ${AMQP_URL} (${error.message}): start it with \`rabbitmq-server -detached\``,
    );
  });
  connection.on("error", () => {});
  channel = await connection.createConfirmChannel();
  channel.on("error", () => {});
}

beforeAll(openBroker);
afterAll(async () => {
  // Nothing to clean when the broker was never reached (beforeAll failed, saying why).
  if (!channel) return;
  for (const q of [queue, deadLetters]) await channel.deleteQueue(q).catch(() => {});
  await connection.close().catch(() => {});
});

async function publish(bodies: unknown[], options: amqp.Options.Publish = {}) {
  for (const body of bodies)
    channel.sendToQueue(queue, Buffer.from(typeof body === "string" ? body : JSON.stringify(body)), {
      persistent: true,
      ...options,
    });
  await channel.waitForConfirms();
}

const workflow = `name: orders
inputs:
  order: {type: integer, required: true}
on:
  rabbitmq:
    url: "ref+env://GANTRY_TEST_AMQP_TRIGGER_URL"
    queue: ${queue}
    prefetch: 10
    dead_letter: ${deadLetters}
    inputs: {order: "\${{ trigger.payload.id }}"}
steps:
  a: {run: "true"}
`;
const ID = "orders:rabbitmq:0";

describe("on.rabbitmq against the RabbitMQ server here", () => {
  beforeAll(async () => {
    process.env.GANTRY_TEST_AMQP_TRIGGER_URL = AMQP_URL;
    await f.register({ "orders.yaml": workflow });
  });

  it("starts a run per message with the mapped inputs; dead-letters one that cannot start a run", async () => {
    await f.listeners();
    await f.waitForState(ID, "connected");
    await publish([{ id: 1 }, { id: 2 }]);
    await publish([{ id: 3 }], { messageId: "order-3", headers: { source: "shop" } });
    await publish(["not json"]);
    const runs = await f.waitForRuns("orders", 3);
    expect(runs.map((r) => r.inputs.order)).toEqual([1, 2, 3]);
    expect(runs[2]?.trigger).toMatchObject({
      type: "rabbitmq",
      trigger: ID,
      payload: { id: 3 },
      queue,
      message_id: "order-3",
      headers: { source: "shop" },
      redelivered: false,
    });
    const dead = await waitFor(async () => (await channel.get(deadLetters, { noAck: true })) || undefined, {
      what: "the message in the dead-letter queue",
    });
    expect(dead.content.toString()).toBe("not json");
    expect(dead.properties.headers?.["x-gantry-error"]).toMatch(/input 'order' is required/);
    // The dead-letter's reason is written to the trigger's state beside the acknowledgement.
    const status = await waitFor(async () => {
      const s = await f.status(ID);
      return s.lastError ? s : undefined;
    });
    expect(status).toMatchObject({ state: "connected", connected: true, events: 4, failures: 1 });
    expect(status.lastError).toMatch(/could not start a run/);
    // The URL came from a secret reference: the API shows the reference, never the resolved value.
    expect(status.config.url).toBe("ref+env://GANTRY_TEST_AMQP_TRIGGER_URL");
    // Nothing is left unacknowledged in the queue.
    expect((await channel.checkQueue(queue)).messageCount).toBe(0);
  });

  it("a message whose run could not be recorded (store down) stays in the queue and starts its run later", async () => {
    const before = (await f.runs("orders")).length;
    // A "server" whose database connection is broken: its deliveries fail with a database error.
    const broken = await openDatabase(f.h.database.url!, { poolSize: 2 });
    const ctx = { ...f.ctx, database: broken };
    const set = await f.listeners({}, ctx);
    await waitFor(async () => set.all.get(ID)?.status === "connected", { what: "the listener to connect" });
    await broken.close(); // the pool is gone: every query now fails
    await publish([{ id: 10 }]);
    await waitFor(async () => set.all.get(ID)?.status === "reconnecting", {
      what: "the listener to give up on its broken store",
    });
    await set.stop({ release: false });
    expect(await f.runs("orders")).toHaveLength(before);
    // A healthy server takes over once the lease expires (2 s here): the message was never acknowledged.
    await f.listeners();
    const runs = await f.waitForRuns("orders", before + 1);
    expect(runs.at(-1)).toMatchObject({ inputs: { order: 10 }, trigger: { redelivered: true } });
  });

  it("nothing is lost across a Gantry restart: messages published while it is down start runs when it is back", async () => {
    const before = (await f.runs("orders")).length;
    const set = await f.listeners();
    await f.waitForState(ID, "connected");
    await set.stop();
    expect((await f.status(ID)).state).toBe("stopped");
    await publish([{ id: 20 }, { id: 21 }, { id: 22 }]);
    await f.listeners();
    const runs = await f.waitForRuns("orders", before + 3);
    expect(runs.slice(-3).map((r) => r.inputs.order)).toEqual([20, 21, 22]);
  });

  it("nothing is lost across a broker restart: the listener reconnects with backoff and the queue kept its messages", async () => {
    // A broker node of the test's own: restarting the machine's shared one would disturb everyone using it.
    const broker = await startPrivateRabbitmq();
    const own = await amqp.connect(broker.url);
    own.on("error", () => {});
    try {
      const ownChannel = await own.createConfirmChannel();
      ownChannel.on("error", () => {});
      const send = async (id: number, messageId: string) => {
        ownChannel.sendToQueue(queue, Buffer.from(JSON.stringify({ id })), { persistent: true, messageId });
        await ownChannel.waitForConfirms();
      };
      process.env.GANTRY_TEST_AMQP_RESTART_URL = broker.url;
      await f.register({
        "restart.yaml": workflow
          .replace("name: orders", "name: restarts")
          .replace("GANTRY_TEST_AMQP_TRIGGER_URL", "GANTRY_TEST_AMQP_RESTART_URL"),
      });
      const RESTART_ID = "restarts:rabbitmq:0";
      await f.listeners();
      await f.waitForState(RESTART_ID, "connected");
      await send(30, "m30");
      await f.waitForRuns("restarts", 1);
      // Persistent messages in a durable queue that no one consumes while the broker goes down.
      await f.stopAll();
      // With a message id each: a message whose acknowledgement the shutdown swallows is redelivered,
      // and its id (the event key) keeps it from starting a second run.
      await send(31, "m31");
      await send(32, "m32");
      await own.close().catch(() => {});
      await f.listeners();
      await f.waitForState(RESTART_ID, "connected");
      await broker.stop();
      try {
        await f.waitForState(RESTART_ID, "reconnecting");
      } finally {
        await broker.start();
      }
      await f.waitForState(RESTART_ID, "connected", 60_000);
      const again = await amqp.connect(broker.url);
      again.on("error", () => {});
      try {
        const channelAgain = await again.createConfirmChannel();
        channelAgain.sendToQueue(queue, Buffer.from(JSON.stringify({ id: 33 })), {
          persistent: true,
          messageId: "m33",
        });
        await channelAgain.waitForConfirms();
      } finally {
        await again.close().catch(() => {});
      }
      const runs = await waitFor(
        async () => {
          const all = await f.runs("restarts");
          return all.some((r) => r.inputs.order === 33) ? all : undefined;
        },
        { timeoutMs: 30_000, what: "the run of message 33" },
      );
      expect(runs.map((r) => r.inputs.order).sort()).toEqual([30, 31, 32, 33]);
      const status = await f.status(RESTART_ID);
      expect(status.lastError).toMatch(/closed|ECONNREFUSED|shutdown/i);
    } finally {
      await f.stopAll();
      await own.close().catch(() => {});
      await broker.remove();
    }
  });

  it("uses an existing queue as declared: a rejected message goes to the queue's own dead-letter exchange", async () => {
    const own = `${queue}-own`;
    const dead = `${queue}-own-dead`;
    await channel.assertQueue(dead, { durable: true });
    await channel.assertQueue(own, {
      durable: true,
      arguments: { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dead },
    });
    try {
      await f.register({
        "own.yaml": `name: own
inputs: {order: {type: integer, required: true}}
on:
  rabbitmq: {url: "${AMQP_URL}", queue: ${own}, inputs: {order: "\${{ trigger.payload.id }}"}}
steps:
  a: {run: "true"}
`,
      });
      await f.listeners();
      await f.waitForState("own:rabbitmq:0", "connected");
      channel.sendToQueue(own, Buffer.from('{"id": "x"}'), { persistent: true });
      channel.sendToQueue(own, Buffer.from('{"id": 7}'), { persistent: true });
      await channel.waitForConfirms();
      const runs = await f.waitForRuns("own", 1);
      expect(runs[0]?.inputs).toEqual({ order: 7 });
      const rejected = await waitFor(async () => (await channel.get(dead, { noAck: true })) || undefined, {
        what: "the rejected message in the queue's dead-letter queue",
      });
      expect(rejected.content.toString()).toBe('{"id": "x"}');
    } finally {
      await channel.deleteQueue(own).catch(() => {});
      await channel.deleteQueue(dead).catch(() => {});
    }
  });
});
