import type { ServiceContext } from "../service/context.js";
import type { Delivery, TriggerEvent } from "./deliver.js";

/** What a source gets from its listener. Sources hold no SQL: they deliver events and read checkpoints. */
export interface SourceContext {
  /** The trigger's id (`<workflow>:<kind>:<name|index>`), for names that must be stable (slots, clients). */
  id: string;
  workflow: string;
  /** The entry with its secret references resolved. Never log it. */
  config: Record<string, unknown>;
  service: ServiceContext;
  /** Records the event and starts its run; resolves once that is durable (then acknowledge). */
  deliver(event: TriggerEvent): Promise<Delivery>;
  /** The checkpoints stored with the events delivered so far. */
  checkpoints(): Promise<Map<string, string>>;
  /** Stores checkpoints that no event carries (a shard read to its end, a start time). */
  saveCheckpoints(values: Record<string, string>): Promise<void>;
  /** The connection failed after start: the listener stops the source and reconnects with backoff. */
  lost(error: Error): void;
  /** A problem to show in the trigger's state that does not end the connection (a dead-lettered event). */
  warn(error: Error): void;
}

/** A connected, consuming source. `stop()` closes its connections and waits for an event in progress. */
export interface EventSource {
  stop(): Promise<void>;
}

/** Connects and starts consuming; resolves once connected, rejects when it cannot connect. */
export type SourceStarter = (context: SourceContext) => Promise<EventSource>;

/** A connection string as it may be shown: without its password. */
export function hideUrlPassword(value: unknown): string {
  if (typeof value !== "string") return String(value);
  try {
    const url = new URL(value);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return value;
  }
}

/** An error message with any URL password of `config.url` removed (client libraries quote the URL). */
export function scrubbed(error: unknown, config: Record<string, unknown>): Error {
  const message = error instanceof Error ? error.message : String(error);
  const url = typeof config.url === "string" ? config.url : undefined;
  let password: string | undefined;
  try {
    password = url ? decodeURIComponent(new URL(url).password) : undefined;
  } catch {
    password = undefined;
  }
  if (!password) return error instanceof Error ? error : new Error(message);
  return new Error(message.split(password).join("***").split(encodeURIComponent(password)).join("***"));
}
