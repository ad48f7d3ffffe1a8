import { EventEmitter } from "node:events";
import type pg from "pg";
import { CHANNELS, type Channel, type NotifierLike, RECONNECTED } from "./notifier.js";

const PREFIX = "gantry_";

/**
 * One LISTEN connection per process, reconnected with exponential backoff and jitter when it drops
 * (the database restarted, a network blip). NOTIFY goes through the shared pool.
 */
export class PgNotifier implements NotifierLike {
  private readonly emitter = new EventEmitter();
  private client: pg.Client | undefined;
  private closed = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly url: string,
    private readonly pool: pg.Pool,
    private readonly onState: (state: "connected" | "disconnected", error?: Error) => void,
  ) {
    this.emitter.setMaxListeners(0);
  }

  static async start(
    url: string,
    pool: pg.Pool,
    onState: (state: "connected" | "disconnected", error?: Error) => void = () => {},
  ): Promise<PgNotifier> {
    const notifier = new PgNotifier(url, pool, onState);
    await notifier.connect();
    return notifier;
  }

  private async connect(): Promise<void> {
    const pgModule = (await import("pg")).default;
    const client = new pgModule.Client({ connectionString: this.url });
    client.on("notification", (msg) => {
      if (msg.channel.startsWith(PREFIX))
        this.emitter.emit(msg.channel.slice(PREFIX.length), msg.payload ?? "");
    });
    client.on("error", (error) => this.lost(error));
    client.on("end", () => this.lost(new Error("LISTEN connection ended")));
    try {
      await client.connect();
      await client.query(CHANNELS.map((channel) => `LISTEN ${PREFIX}${channel}`).join("; "));
    } catch (error) {
      // Never leave a half-open connection behind: the next attempt opens a new one.
      quiet(client);
      await client.end().catch(() => {});
      throw error;
    }
    if (this.closed) {
      // close() ran while this reconnect was under way.
      quiet(client);
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.attempt = 0;
    this.onState("connected");
    // Anything sent while we were away is lost; waking everyone once makes workers (and notification
    // senders) look for it.
    this.emitter.emit("jobs", RECONNECTED);
    this.emitter.emit("notifications", RECONNECTED);
  }

  private lost(error: Error): void {
    if (this.closed || !this.client) return;
    const old = this.client;
    this.client = undefined;
    quiet(old);
    old.end().catch(() => {});
    this.onState("disconnected", error);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    // 100 ms doubling to 10 s, with up to half of it added at random so a fleet does not reconnect in step.
    const base = Math.min(10_000, 100 * 2 ** this.attempt++);
    const delay = base + Math.random() * base * 0.5;
    this.reconnectTimer = setTimeout(() => {
      this.connect().catch((error: Error) => {
        this.onState("disconnected", error);
        this.scheduleReconnect();
      });
    }, delay);
  }

  databaseChannel(channel: Channel): string {
    return PREFIX + channel;
  }

  async notify(channel: Channel, payload = ""): Promise<void> {
    await this.pool.query("select pg_notify($1, $2)", [PREFIX + channel, payload]);
  }

  subscribe(channel: Channel, handler: (payload: string) => void): () => void {
    this.emitter.on(channel, handler);
    return () => this.emitter.off(channel, handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.emitter.removeAllListeners();
    const client = this.client;
    this.client = undefined;
    if (client) {
      quiet(client);
      await client.end().catch(() => {});
    }
  }
}

/**
 * Detaches a connection being given up from this notifier. It keeps a listener for 'error': a socket
 * that fails while it closes would otherwise raise an error event no one handles, ending the process.
 */
function quiet(client: pg.Client): void {
  client.removeAllListeners();
  client.on("error", () => {});
}
