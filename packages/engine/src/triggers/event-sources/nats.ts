import { decodePayload } from "@gantry/core";
import type { JsMsg, Msg, NatsConnection } from "nats";
import type { EventSource, SourceContext } from "../event-source.js";

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * `on.nats`: a core subject subscription, or with `stream:` a JetStream durable consumer. Core NATS
 * keeps nothing: messages published while no server listens are gone (as NATS promises). JetStream
 * keeps them: the consumer (created when missing, explicit acknowledgement, filtered on the subject)
 * delivers what arrived while Gantry was away, and each message is acknowledged only after its run was
 * recorded. The stream sequence is the event key, so a redelivery never starts a second run. A message
 * that cannot start a run is terminated (`term`: not redelivered) and recorded as failed. The stream is
 * created (subjects: [subject]) when it does not exist.
 */
export async function startNats(context: SourceContext): Promise<EventSource> {
  const nats = await import("nats");
  const { config } = context;
  const subject = String(config.subject);
  const url = new URL(String(config.url));
  const nc: NatsConnection = await nats.connect({
    servers: `${url.hostname}:${url.port || 4222}`,
    ...(url.username
      ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
      : {}),
    // The listener reconnects (with backoff); a connection that drops ends here.
    reconnect: false,
    timeout: CONNECT_TIMEOUT_MS,
    name: `gantry ${context.id}`,
  });
  let closing = false;
  void nc.closed().then((error) => {
    if (!closing) context.lost(error instanceof Error ? error : new Error("the NATS connection closed"));
  });
  const text = (data: Uint8Array) => new TextDecoder().decode(data);
  let loop: Promise<void>;
  let stopConsumer: () => void;
  try {
    if (typeof config.stream === "string" && config.stream !== "") {
      const stream = config.stream;
      const durable =
        typeof config.durable === "string" && config.durable !== ""
          ? config.durable
          : `gantry-${context.id.replace(/[^A-Za-z0-9_-]/g, "-")}`;
      const jsm = await nc.jetstreamManager();
      try {
        await jsm.streams.info(stream);
      } catch {
        await jsm.streams.add({ name: stream, subjects: [subject] });
      }
      try {
        await jsm.consumers.info(stream, durable);
      } catch {
        await jsm.consumers.add(stream, {
          durable_name: durable,
          ack_policy: nats.AckPolicy.Explicit,
          deliver_policy: nats.DeliverPolicy.All,
          filter_subject: subject,
        });
      }
      const consumer = await nc.jetstream().consumers.get(stream, durable);
      const messages = await consumer.consume({ max_messages: 100 });
      stopConsumer = () => void messages.close();
      loop = (async () => {
        for await (const m of messages as AsyncIterable<JsMsg>) {
          const delivery = await context.deliver({
            payload: decodePayload(text(m.data)),
            meta: {
              subject: m.subject,
              stream,
              durable,
              sequence: m.seq,
              redelivered: m.redelivered,
              headers: headersOf(m.headers),
            },
            key: `${stream}:${m.seq}`,
          });
          if (delivery.status === "failed") {
            context.warn(new Error(`stream '${stream}': a message could not start a run: ${delivery.error}`));
            m.term();
          } else m.ack();
        }
      })();
    } else {
      const subscription = nc.subscribe(subject);
      stopConsumer = () => subscription.unsubscribe();
      loop = (async () => {
        for await (const m of subscription as AsyncIterable<Msg>) {
          const delivery = await context.deliver({
            payload: decodePayload(text(m.data)),
            meta: { subject: m.subject, reply: m.reply ?? null, headers: headersOf(m.headers) },
          });
          if (delivery.status === "failed")
            context.warn(
              new Error(`subject '${m.subject}': a message could not start a run: ${delivery.error}`),
            );
        }
      })();
    }
  } catch (error) {
    closing = true;
    await nc.close().catch(() => {});
    throw error;
  }
  // The store being unreachable ends the loop: no acknowledgement, JetStream redelivers.
  const done = loop.catch((error: Error) => {
    if (!closing) context.lost(error);
  });
  return {
    async stop() {
      closing = true;
      stopConsumer();
      await done;
      await nc.close().catch(() => {});
    },
  };
}

function headersOf(
  headers: { keys(): string[]; get(key: string): string } | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const key of headers.keys()) out[key] = headers.get(key);
  return out;
}
