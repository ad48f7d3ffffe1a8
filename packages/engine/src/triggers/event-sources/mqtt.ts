import { createHash } from "node:crypto";
import { decodePayload } from "@gantry/core";
import type { EventSource, SourceContext } from "../event-source.js";

/** How long the first connection may take before the listener backs off and tries again. */
const CONNECT_TIMEOUT_MS = 10_000;
const END_WAIT_MS = 2_000;

/**
 * `on.mqtt`: subscribes to a topic filter (`+` and `#` wildcards). With QoS 1 or 2 (1 by default) the
 * session is persistent (`clean: false` under a client id derived from the trigger's id), so the broker
 * keeps messages while Gantry is away, and each message is acknowledged (PUBACK) only after its run
 * was recorded: mqtt.js sends the acknowledgement when `handleMessage` calls back. MQTT packet ids are
 * reused, so there is no event key: a message redelivered after a crash can start a second run.
 * The listener reconnects itself (with backoff); mqtt.js's own reconnect is off.
 */
export async function startMqtt(context: SourceContext): Promise<EventSource> {
  const mqtt = await import("mqtt");
  const { config } = context;
  const topic = String(config.topic);
  const qos = (typeof config.qos === "number" ? config.qos : 1) as 0 | 1 | 2;
  // The session (and the broker's queue of messages for it) belongs to this trigger and topic filter: a
  // changed filter gets a new session, so messages for the old one are not taken for the new one's.
  const clientId = `gantry-${createHash("sha256").update(`${context.id}\u0000${topic}`).digest("hex").slice(0, 16)}`;
  const client = mqtt.connect(String(config.url), {
    clientId,
    clean: qos === 0,
    reconnectPeriod: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
  });
  let closing = false;
  /** The message being handled (mqtt.js hands them over one at a time). */
  let current: Promise<unknown> = Promise.resolve();
  client.handleMessage = (packet, callback) => {
    const payload = typeof packet.payload === "string" ? packet.payload : packet.payload.toString("utf8");
    current = context
      .deliver({
        payload: decodePayload(payload),
        meta: { topic: packet.topic, qos: packet.qos, retain: packet.retain, dup: packet.dup },
      })
      .then((delivery) => {
        // A message that cannot start a run is acknowledged too (MQTT has no dead-letter queue): its
        // failure is recorded in the trigger's events.
        if (delivery.status === "failed")
          context.warn(
            new Error(`topic '${packet.topic}': a message could not start a run: ${delivery.error}`),
          );
        callback();
      })
      .catch((error: Error) => {
        // The store is unreachable: no acknowledgement; the broker redelivers it on the next session.
        if (!closing) context.lost(error);
      });
  };
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
    client.once("close", () => reject(new Error(`cannot connect to the MQTT broker for topic '${topic}'`)));
  });
  client.removeAllListeners("error");
  client.removeAllListeners("close");
  client.on("error", () => {}); // 'close' follows
  client.on("close", () => {
    if (!closing) context.lost(new Error("the MQTT connection closed"));
  });
  try {
    const granted = await client.subscribeAsync(topic, { qos });
    const refused = granted.find((g) => g.qos === 128);
    if (refused) throw new Error(`the MQTT broker refused the subscription to '${topic}'`);
  } catch (error) {
    closing = true;
    await client.endAsync(true).catch(() => {});
    throw error;
  }
  return {
    async stop() {
      closing = true;
      // Finish the message in hand so its PUBACK goes out with a clean close (forced after 2 s); messages
      // not yet handled stay with the broker for the next session.
      await current.catch(() => {});
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        client.endAsync().then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), END_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
      if (!ended) await client.endAsync(true).catch(() => {});
    },
  };
}
