import type WebSocket from "ws";
import { RECONNECTED } from "../queue/notifier.js";
import type { QueueListener } from "../worker/worker-queue.js";
import type { AgentApi } from "./agent-api.js";

/** One wake-up as the server sends it, over the WebSocket or in a long-poll's answer. */
export type AgentEvent = { type: "jobs"; payload: string } | { type: "cancel"; run_id: string };

/** Failed WebSocket handshakes in a row after which the agent long-polls instead (a proxy that blocks them). */
const HANDSHAKE_FAILURES = 3;
/** How long a long-poll waits at the server for a wake-up. */
const POLL_WAIT_MS = 25_000;
const RETRY_MS = 1_000;

export type WakeUpMode = "auto" | "websocket" | "long-poll";

/**
 * The agent's wake-ups: jobs queued and runs cancelled, pushed by the server over a WebSocket
 * (`/api/v1/agent/events`), or, when WebSockets are blocked on the way, long-polled
 * (`/api/v1/agent/wait`). After a reconnect the listener hears RECONNECTED: wake-ups may have been
 * lost meanwhile, so the worker claims and asks when delayed jobs become due.
 */
export class AgentWakeUps {
  private stopped = false;
  private socket: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private mode: "websocket" | "long-poll";
  private poll: AbortController | undefined;

  constructor(
    private readonly api: AgentApi,
    private readonly listener: QueueListener,
    mode: WakeUpMode = "auto",
    private readonly onError: (error: Error) => void = () => {},
    private readonly onMode: (mode: "websocket" | "long-poll") => void = () => {},
  ) {
    this.mode = mode === "long-poll" ? "long-poll" : "websocket";
    this.fixed = mode !== "auto";
  }

  private readonly fixed: boolean;

  start(): void {
    this.onMode(this.mode);
    if (this.mode === "websocket") this.connect();
    else void this.longPoll();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.poll?.abort();
    this.socket?.terminate();
  }

  private dispatch(event: AgentEvent): void {
    if (event.type === "jobs") this.listener.jobs(event.payload);
    else if (event.type === "cancel") this.listener.cancel(event.run_id);
  }

  // The WebSocket client loads with the first connection: only an agent needs it, and every other
  // command (`gantry run` above all) would pay for loading it at start.
  private connect(): void {
    if (this.stopped) return;
    import("ws").then(
      ({ default: Client }) => this.open(Client),
      (error: Error) => this.onError(new Error(`wake-ups: ${error.message}`)),
    );
  }

  private open(Client: typeof WebSocket): void {
    if (this.stopped) return;
    let opened = false;
    const socket = new Client(this.api.url("events", "ws"), {
      headers: { authorization: this.api.authorization },
      handshakeTimeout: 10_000,
    });
    this.socket = socket;
    // The server pings every 10 s: silence for 30 s is a connection dropped without a word.
    let silence: NodeJS.Timeout | undefined;
    const heard = () => {
      if (silence) clearTimeout(silence);
      silence = setTimeout(() => socket.terminate(), 30_000);
      silence.unref();
    };
    socket.on("ping", heard);
    socket.on("open", () => {
      heard();
      opened = true;
      this.failures = 0;
      this.listener.jobs(RECONNECTED);
    });
    socket.on("message", (data) => {
      heard();
      try {
        this.dispatch(JSON.parse(String(data)) as AgentEvent);
      } catch (error) {
        this.onError(new Error(`wake-up not understood: ${(error as Error).message}`));
      }
    });
    // A silent drop (no FIN) is found by the server's pings stopping; the socket then times out here.
    socket.on("error", (error) => this.onError(new Error(`wake-ups: ${error.message}`)));
    socket.on("close", () => {
      if (silence) clearTimeout(silence);
      if (this.stopped) return;
      if (!opened) this.failures++;
      if (!this.fixed && this.failures >= HANDSHAKE_FAILURES) {
        this.mode = "long-poll";
        this.onMode(this.mode);
        void this.longPoll();
        return;
      }
      this.timer = setTimeout(() => this.connect(), RETRY_MS);
    });
  }

  /**
   * Each poll names the last wake-up it saw (the answer's cursor), so none is lost between two polls;
   * a first poll, or one the server cannot continue (another server, a cursor too old), answers `reset`
   * at once, and the worker claims as after a reconnect.
   */
  private async longPoll(): Promise<void> {
    let cursor: string | undefined;
    while (!this.stopped) {
      this.poll = new AbortController();
      try {
        const query = `timeout_ms=${POLL_WAIT_MS}${cursor ? `&after=${encodeURIComponent(cursor)}` : ""}`;
        const answer = await this.api.get<{ events: AgentEvent[]; cursor: string; reset: boolean }>(
          `wait?${query}`,
          POLL_WAIT_MS + 10_000,
          this.poll.signal,
        );
        cursor = answer.cursor;
        if (answer.reset) this.listener.jobs(RECONNECTED);
        for (const event of answer.events) this.dispatch(event);
      } catch (error) {
        if (this.stopped) return;
        cursor = undefined;
        this.onError(new Error(`wake-ups: ${(error as Error).message}`));
        await new Promise((resolve) => {
          this.timer = setTimeout(resolve, RETRY_MS);
        });
      }
    }
  }
}
