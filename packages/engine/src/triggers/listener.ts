import { type LeaseLike, LocalLease, TableLease } from "../scheduler/lease.js";
import { realTimer, type TimerLike } from "../scheduler/timer.js";
import type { ServiceContext } from "../service/context.js";
import { SerialCycles } from "../service/serial-cycles.js";
import { getTriggerCheckpoints, setTriggerCheckpoints } from "../store/queries/trigger-checkpoints.js";
import { setTriggerState, type TriggerStateUpdate } from "../store/queries/trigger-state.js";
import { deliverEvent, type TriggerTarget } from "./deliver.js";
import { type EventSource, type SourceStarter, scrubbed } from "./event-source.js";
import { resolveTriggerConfig } from "./secret-config.js";

/**
 * A listener's lifecycle: `stopped` → start() → `standby` (another server holds its lease) or
 * `connecting` (ours; connecting to the broker) → `connected` → on a lost connection `reconnecting`
 * (waiting out the backoff) → `connecting` … → stop() → `stopped`.
 */
export type ListenerState = "stopped" | "standby" | "connecting" | "connected" | "reconnecting";

export interface ListenerOptions {
  /** This server's name in the leases. */
  holder: string;
  /** How long a lease lasts unrenewed: another server takes a listener over at most this long after its holder dies. */
  leaseMs?: number;
  /** The first reconnect delay; it doubles up to `maxBackoffMs`, with jitter. */
  backoffMs?: number;
  maxBackoffMs?: number;
  timer?: TimerLike;
  lease?: LeaseLike;
  onEvent?: (event: ListenerEvent) => void;
}

export type ListenerEvent =
  | { type: "state"; trigger: string; state: ListenerState; holder?: string }
  | { type: "error"; trigger: string; error: Error };

export interface ListenerDefinition extends TriggerTarget {
  config: Record<string, unknown>;
}

const DEFAULT_LEASE_MS = 15_000;
/** A standby re-reads the lease at least this often, even when it says it lasts longer. */
const MAX_STANDBY_SLEEP_MS = 30_000;

/**
 * One trigger's listener: a singleton under its own lease (`trigger:<id>` in `leases` on Postgres,
 * always held on SQLite), so exactly one server consumes each trigger and another takes over when it
 * dies. The leader renews every half lease; when the source's connection fails it reconnects with
 * exponential backoff and jitter (0.5 s, 1 s, 2 s … 30 s, each times 0.5–1), so a broker restart does
 * not meet a thundering herd of reconnects. Its state goes to the `triggers` row.
 */
export class TriggerListener {
  private state: ListenerState = "stopped";
  private source: EventSource | undefined;
  private handle: unknown;
  private readonly cycles = new SerialCycles({
    cycle: () => this.cycle(),
    active: () => this.state !== "stopped",
    onError: (error) => this.error(error),
    after: () => this.arm(),
  });
  private leading = false;
  private leaseUntil = 0;
  private renewAt = 0;
  private reconnectAt = 0;
  private failures = 0;
  private readonly lease: LeaseLike;
  private readonly leaseMs: number;
  private readonly timer: TimerLike;

  constructor(
    private readonly ctx: ServiceContext,
    readonly definition: ListenerDefinition,
    private readonly starter: () => Promise<SourceStarter>,
    private readonly options: ListenerOptions,
  ) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.timer = options.timer ?? realTimer;
    this.lease =
      options.lease ??
      (ctx.database.dialect === "postgres"
        ? new TableLease(ctx.database, `trigger:${definition.id}`)
        : new LocalLease());
  }

  get id(): string {
    return this.definition.id;
  }

  get status(): ListenerState {
    return this.state;
  }

  start(): void {
    if (this.state !== "stopped") return;
    this.state = "standby";
    this.wake();
  }

  /** Closes the source and gives the lease up, so another server takes over at once. */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    if (this.state === "stopped") return;
    this.state = "stopped";
    this.timer.clear(this.handle);
    await this.cycles.idle;
    await this.closeSource();
    if (this.leading && (options.release ?? true))
      await this.lease.release(this.options.holder).catch((error: Error) => this.error(error));
    this.leading = false;
    await this.write({ state: "stopped", holder: null, connected_at: null });
  }

  private wake(): void {
    this.cycles.wake();
  }

  private async cycle(): Promise<void> {
    const now = this.ctx.now();
    if (now >= this.renewAt) await this.holdLease(now);
    if (this.state === "stopped" || !this.leading) return;
    if (!this.source && this.ctx.now() >= this.reconnectAt) await this.connect();
  }

  private async holdLease(now: number): Promise<void> {
    let lease: { holder: string; expiresAt: number };
    try {
      lease = await this.lease.acquire(this.options.holder, now, now + this.leaseMs);
    } catch (error) {
      this.error(error as Error);
      // Still ours until it expires; past that another server may consume, so stop.
      if (this.leading && now >= this.leaseUntil) await this.lose(undefined);
      this.renewAt = now + 1_000;
      return;
    }
    if (this.state === "stopped") return;
    if (lease.holder !== this.options.holder) {
      if (this.leading || this.state !== "standby") await this.lose(lease.holder);
      this.renewAt = Math.min(lease.expiresAt, now + MAX_STANDBY_SLEEP_MS);
      return;
    }
    this.leaseUntil = lease.expiresAt;
    this.renewAt = now + Math.floor(this.leaseMs / 2);
    if (!this.leading) {
      this.leading = true;
      this.failures = 0;
      this.reconnectAt = 0;
    }
  }

  private async lose(holder: string | undefined): Promise<void> {
    this.leading = false;
    await this.closeSource();
    this.state = "standby";
    this.emit({ type: "state", trigger: this.id, state: "standby", ...(holder ? { holder } : {}) });
    // The leader writes its own state; a standby does not overwrite it.
  }

  private async connect(): Promise<void> {
    this.setState("connecting");
    await this.write({ state: "connecting", holder: this.options.holder });
    let config: Record<string, unknown> = this.definition.config;
    try {
      config = await resolveTriggerConfig(this.definition.config, this.ctx.secretProviders);
      const start = await this.starter();
      if (this.stopped() || !this.leading) return;
      const target = this.definition;
      let started: EventSource | undefined;
      let lostEarly: Error | undefined;
      const source = await start({
        id: target.id,
        workflow: target.workflow,
        config,
        service: this.ctx,
        deliver: (event) => deliverEvent(this.ctx, target, event),
        checkpoints: () => getTriggerCheckpoints(this.ctx.database.db, target.id),
        saveCheckpoints: (values) =>
          setTriggerCheckpoints(this.ctx.database.db, target.id, values, this.ctx.now()),
        lost: (error) => {
          if (started) this.onLost(started, scrubbed(error, config));
          else lostEarly = scrubbed(error, config);
        },
        warn: (error) => {
          const clean = scrubbed(error, config);
          this.error(clean);
          void this.write({ last_error: clean.message, last_error_at: this.ctx.now() });
        },
      });
      started = source;
      if (lostEarly || this.stopped() || !this.leading) {
        await source.stop().catch(() => {});
        if (lostEarly) throw lostEarly;
        return;
      }
      this.source = source;
      this.failures = 0;
      this.setState("connected");
      await this.write({ state: "connected", holder: this.options.holder, connected_at: this.ctx.now() });
    } catch (error) {
      await this.failed(scrubbed(error, config));
    }
  }

  private onLost(source: EventSource, error: Error): void {
    // A late report from a source already replaced or stopped.
    if (source !== this.source) return;
    void (async () => {
      await this.closeSource();
      if (this.state === "stopped") return;
      await this.failed(error);
      this.wake();
    })();
  }

  private async failed(error: Error): Promise<void> {
    this.error(error);
    if (this.state === "stopped") return;
    const base = this.options.backoffMs ?? 500;
    const max = this.options.maxBackoffMs ?? 30_000;
    const delay = Math.min(max, base * 2 ** Math.min(this.failures, 16));
    this.failures++;
    // Jitter: servers that lost the same broker do not all come back in the same millisecond.
    this.reconnectAt = this.ctx.now() + Math.round(delay * (0.5 + Math.random() / 2));
    this.setState("reconnecting");
    await this.write({
      state: "reconnecting",
      holder: this.options.holder,
      connected_at: null,
      last_error: error.message,
      last_error_at: this.ctx.now(),
    });
  }

  private async closeSource(): Promise<void> {
    const source = this.source;
    this.source = undefined;
    if (source) await source.stop().catch((error: Error) => this.error(error));
  }

  private arm(): void {
    this.timer.clear(this.handle);
    if (this.state === "stopped") return;
    let at = this.renewAt;
    if (this.leading && !this.source && this.reconnectAt > 0) at = Math.min(at, this.reconnectAt);
    this.handle = this.timer.set(() => this.wake(), at - this.ctx.now());
  }

  /** Read through a method: TypeScript would otherwise keep a narrowing from before an await. */
  private stopped(): boolean {
    return this.state === "stopped";
  }

  private setState(state: ListenerState): void {
    if (this.state === "stopped") return;
    this.state = state;
    this.emit({ type: "state", trigger: this.id, state });
  }

  private async write(update: TriggerStateUpdate): Promise<void> {
    try {
      await setTriggerState(this.ctx.database.db, this.id, update, this.ctx.now());
    } catch (error) {
      this.error(error as Error);
    }
  }

  private error(error: Error): void {
    this.emit({ type: "error", trigger: this.id, error });
  }

  private emit(event: ListenerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's bug must not stop the trigger.
    }
  }
}
