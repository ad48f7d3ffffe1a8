import { decodePayload } from "@gantry/core";
import type { EventSource, SourceContext } from "../event-source.js";

/**
 * `on.postgres` with `channel:`: LISTEN on a channel; each NOTIFY starts a run with its payload.
 * NOTIFY is fire-and-forget in PostgreSQL itself: a notification sent while no Gantry server listens
 * (between a crash and the takeover) is not delivered later. Use `table:` (logical replication) for
 * changes that must not be missed.
 */
export async function startPostgresNotify(context: SourceContext): Promise<EventSource> {
  const pg = (await import("pg")).default;
  const channel = String(context.config.channel);
  const client = new pg.Client({
    connectionString: String(context.config.url),
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
  });
  let closing = false;
  const fail = (error: Error) => {
    if (!closing) context.lost(error);
  };
  client.on("error", fail);
  client.on("end", () => fail(new Error(`the LISTEN connection for channel '${channel}' ended`)));
  let chain: Promise<void> = Promise.resolve();
  client.on("notification", (message) => {
    if (message.channel !== channel) return;
    chain = chain.then(async () => {
      try {
        const delivery = await context.deliver({
          payload: decodePayload(message.payload ?? ""),
          meta: { channel: message.channel, process_id: message.processId },
        });
        if (delivery.status === "failed")
          context.warn(
            new Error(`channel '${channel}': a notification could not start a run: ${delivery.error}`),
          );
      } catch (error) {
        fail(error as Error);
      }
    });
  });
  try {
    await client.connect();
    // The channel is an identifier (the schema allows [A-Za-z_][A-Za-z0-9_$]*); quoted, it keeps its case.
    await client.query(`LISTEN "${channel.replace(/"/g, '""')}"`);
  } catch (error) {
    closing = true;
    await client.end().catch(() => {});
    throw error;
  }
  return {
    async stop() {
      closing = true;
      await chain;
      await client.end().catch(() => {});
    },
  };
}
