import { decodePayload } from "@gantry/core";
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from "amqplib";
import type { EventSource, SourceContext } from "../event-source.js";

const DEFAULT_PREFETCH = 20;
/** An AMQP heartbeat every 10 s: a dead broker or network is noticed within some 20 s, not at the OS's TCP timeout. */
const HEARTBEAT_S = 10;

/**
 * `on.rabbitmq`: consumes a queue with manual acknowledgements. A message is acknowledged only after
 * its run (and the event's record) committed; a crash before that leaves it unacknowledged, and the
 * broker redelivers it to the next consumer. A message with a `message_id` starts its run once even
 * when redelivered (the event key); one without can start a second run after such a crash (at least
 * once). A message that cannot start a run is moved to `dead_letter` (published there with
 * `x-gantry-error`, confirmed, then acknowledged), or rejected without requeue, which hands it to the
 * queue's own dead-letter exchange when it has one. A missing queue is declared durable, so messages
 * published as persistent survive a broker restart; an existing one is used with its own arguments.
 */
export async function startRabbitmq(context: SourceContext): Promise<EventSource> {
  const amqp = await import("amqplib");
  const { config } = context;
  const queue = String(config.queue);
  const url = String(config.url);
  const withHeartbeat = new URL(url);
  if (!withHeartbeat.searchParams.has("heartbeat"))
    withHeartbeat.searchParams.set("heartbeat", String(HEARTBEAT_S));
  const connection: ChannelModel = await amqp.connect(withHeartbeat.toString());
  let closing = false;
  const fail = (error: Error) => {
    if (!closing) context.lost(error);
  };
  connection.on("error", () => {}); // 'close' follows with the reason
  connection.on("close", (error?: Error) => fail(error ?? new Error("the RabbitMQ connection closed")));
  let channel: Channel;
  let deadLetters: ConfirmChannel | undefined;
  try {
    channel = await connection.createChannel();
    channel.on("error", () => {});
    try {
      // An existing queue is used as it is: declaring it again with other arguments (a dead-letter
      // exchange, a length limit, a quorum type) would be refused.
      await channel.checkQueue(queue);
    } catch {
      // The broker closed the channel (404): declare the queue on a new one.
      channel = await connection.createChannel();
      channel.on("error", () => {});
      await channel.assertQueue(queue, { durable: true });
    }
    channel.on("close", () => fail(new Error(`the RabbitMQ channel of queue '${queue}' closed`)));
    if (typeof config.exchange === "string" && config.exchange !== "") {
      await channel.bindQueue(
        queue,
        config.exchange,
        typeof config.routing_key === "string" ? config.routing_key : "#",
      );
    }
    if (typeof config.dead_letter === "string" && config.dead_letter !== "") {
      deadLetters = await connection.createConfirmChannel();
      deadLetters.on("error", () => {});
      await deadLetters.assertQueue(config.dead_letter, { durable: true });
    }
    await channel.prefetch(typeof config.prefetch === "number" ? config.prefetch : DEFAULT_PREFETCH);
  } catch (error) {
    closing = true;
    await connection.close().catch(() => {});
    throw error;
  }

  // Messages are handled in arrival order, `concurrency` at a time (1 by default: strictly in order). More
  // than one lets several transactions commit at once, which is what bounds the rate on Postgres; each
  // message is still acknowledged only after its own run committed (acknowledgements by delivery tag).
  const concurrency = typeof config.concurrency === "number" ? config.concurrency : 1;
  const waiting: ConsumeMessage[] = [];
  const inFlight = new Set<Promise<void>>();
  const pump = () => {
    while (inFlight.size < concurrency && waiting.length > 0) {
      const message = waiting.shift() as ConsumeMessage;
      const job: Promise<void> = handle(message)
        .catch((error: Error) => {
          // The store is unreachable: leave the message unacknowledged (the broker redelivers it once the
          // channel closes) and reconnect.
          fail(error);
        })
        .finally(() => {
          inFlight.delete(job);
          pump();
        });
      inFlight.add(job);
    }
  };
  const handle = async (message: ConsumeMessage) => {
    const { properties, fields } = message;
    const delivery = await context.deliver({
      payload: decodePayload(message.content.toString("utf8")),
      meta: {
        queue,
        exchange: fields.exchange,
        routing_key: fields.routingKey,
        redelivered: fields.redelivered,
        headers: properties.headers ?? {},
        message_id: properties.messageId ?? null,
        correlation_id: properties.correlationId ?? null,
        content_type: properties.contentType ?? null,
        timestamp: typeof properties.timestamp === "number" ? properties.timestamp : null,
      },
      ...(properties.messageId ? { key: `message:${String(properties.messageId)}` } : {}),
    });
    if (delivery.status === "failed") {
      context.warn(new Error(`queue '${queue}': a message could not start a run: ${delivery.error}`));
      if (deadLetters) {
        deadLetters.sendToQueue(String(config.dead_letter), message.content, {
          ...properties,
          persistent: true,
          headers: {
            ...(properties.headers ?? {}),
            "x-gantry-error": delivery.error,
            "x-gantry-trigger": context.id,
          },
        });
        await deadLetters.waitForConfirms();
        channel.ack(message);
      } else channel.nack(message, false, false);
      return;
    }
    channel.ack(message);
  };
  const { consumerTag } = await channel.consume(
    queue,
    (message) => {
      if (message === null) {
        fail(new Error(`queue '${queue}' was deleted or its consumer cancelled by the broker`));
        return;
      }
      waiting.push(message);
      pump();
    },
    { noAck: false },
  );

  return {
    async stop() {
      closing = true;
      await channel.cancel(consumerTag).catch(() => {});
      // Messages not yet started stay unacknowledged: the broker gives them to the next consumer.
      waiting.length = 0;
      await Promise.all(inFlight);
      await connection.close().catch(() => {});
    },
  };
}
