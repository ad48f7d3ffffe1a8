import { EventEmitter } from "node:events";

/**
 * The "jobs" payload a notifier sends its own subscribers after its LISTEN connection came back:
 * notifications sent meanwhile are lost, so workers look at the whole queue again (the jobs that are
 * due, and when the delayed ones become due).
 */
export const RECONNECTED = "reconnected";

/** The channels processes wake each other on. */
export const CHANNELS = ["jobs", "cancel", "logs", "notifications"] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * Wakes idle workers and carries cancellations: Postgres LISTEN/NOTIFY between processes, or an
 * in-process emitter for the embedded SQLite mode. Polling remains only as a slow fallback.
 */
export interface NotifierLike {
  notify(channel: Channel, payload?: string): Promise<void>;
  /**
   * Postgres's name for `channel` when this notifier's notifications travel through the database: a
   * statement that writes may then send it itself (`pg_notify`, delivered at its commit), without a
   * round trip of its own. Absent: use notify().
   */
  databaseChannel?(channel: Channel): string;
  subscribe(channel: Channel, handler: (payload: string) => void): () => void;
  close(): Promise<void>;
}

export class LocalNotifier implements NotifierLike {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  async notify(channel: Channel, payload = ""): Promise<void> {
    this.emitter.emit(channel, payload);
  }

  subscribe(channel: Channel, handler: (payload: string) => void): () => void {
    this.emitter.on(channel, handler);
    return () => this.emitter.off(channel, handler);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
