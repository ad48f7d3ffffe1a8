import { randomUUID } from "node:crypto";
import type { NotifierLike } from "@gantry/engine";

/** A wake-up for agents, as the WebSocket sends it and a long-poll answers it. */
export type AgentEvent = { type: "jobs"; payload: string } | { type: "cancel"; run_id: string };

/** Wake-ups kept for long-polling agents: a poll comes back within seconds, so a few hundred are plenty. */
const KEPT = 500;

/**
 * The wake-ups of this server process, numbered, for agents that long-poll: each poll names the last
 * one it saw (`<process>:<number>`) and gets those after it, so none is lost between two polls. A
 * cursor of another process (a load balancer changed servers) or one older than what is kept answers
 * at once with `reset`: the agent then claims as after a reconnect.
 */
export class AgentWakeUpLog {
  private readonly id = randomUUID();
  private readonly events: Array<{ seq: number; event: AgentEvent }> = [];
  private seq = 0;
  private readonly waiters = new Set<() => void>();
  private readonly unsubscribe: Array<() => void>;

  constructor(notifier: NotifierLike) {
    this.unsubscribe = [
      notifier.subscribe("jobs", (payload) => this.add({ type: "jobs", payload })),
      notifier.subscribe("cancel", (runId) => this.add({ type: "cancel", run_id: runId })),
    ];
  }

  close(): void {
    for (const off of this.unsubscribe) off();
    for (const wake of this.waiters) wake();
  }

  /**
   * The wake-ups after `cursor`, waiting up to `timeoutMs` for one when there are none yet (or until
   * `closed` resolves: the agent left).
   */
  async after(
    cursor: string | undefined,
    timeoutMs: number,
    closed: Promise<void>,
  ): Promise<{ events: AgentEvent[]; cursor: string; reset: boolean }> {
    const [id, n] = (cursor ?? "").split(":");
    const last = Number(n);
    const oldest = this.events[0]?.seq ?? this.seq + 1;
    const known = id === this.id && Number.isInteger(last) && last <= this.seq && last >= oldest - 1;
    if (!known) return { events: [], cursor: this.cursor(), reset: true };
    if (last === this.seq) {
      let wake = () => {};
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      this.waiters.add(wake);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([woken, closed, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      this.waiters.delete(wake);
      // Wake-ups that come together leave together.
      if (this.seq > last) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return {
      events: this.events.filter((e) => e.seq > last).map((e) => e.event),
      cursor: this.cursor(),
      reset: false,
    };
  }

  private cursor(): string {
    return `${this.id}:${this.seq}`;
  }

  private add(event: AgentEvent): void {
    this.events.push({ seq: ++this.seq, event });
    if (this.events.length > KEPT) this.events.shift();
    for (const wake of this.waiters) wake();
  }
}
