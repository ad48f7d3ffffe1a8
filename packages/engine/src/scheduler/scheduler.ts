import { randomUUID } from "node:crypto";
import os from "node:os";
import type { CatchUp, ScheduleConcurrency } from "@gantry/core";
import { type CronSchedule, compileCron, planFires } from "@gantry/core";
import type { ServiceContext } from "../service/context.js";
import type { WorkflowCache } from "../service/create-run.js";
import { SerialCycles } from "../service/serial-cycles.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { isDatabaseError, isUniqueViolation } from "../store/database-errors.js";
import { decodeInputs } from "../store/decode/index.js";
import { getWorkflows } from "../store/queries/get-workflow.js";
import { advanceSchedules } from "../store/queries/schedule-advance.js";
import { listSchedules } from "../store/queries/schedule-list.js";
import { scheduleSignature } from "../store/queries/schedule-signature.js";
import type { ScheduleRow } from "../store/queries/schedule-tables.js";
import {
  type AppliedFires,
  applyFires,
  type FireItem,
  type FireOutcome,
  type FireTarget,
  prepareScheduledRun,
  type ReadyFire,
} from "./fire.js";
import { defaultLease, type LeaseLike } from "./lease.js";
import { syncSchedules } from "./sync.js";
import { realTimer, type TimerLike } from "./timer.js";

export interface SchedulerOptions {
  /** This scheduler's name in the lease; default `<hostname>:<pid>:<random>`. */
  id?: string;
  /** Default: a row in `leases` on Postgres, always held on SQLite (one process). */
  lease?: LeaseLike;
  /** How long the lease lasts unrenewed: another server takes over at most this long after the leader dies. */
  leaseMs?: number;
  /** How often the leader renews the lease and looks for schedule changes made by other servers. */
  renewMs?: number;
  timer?: TimerLike;
  /**
   * Fires per transaction: one commit for many fires, where one each would cost a disk flush each.
   * Default 200: with the runs written in multi-row statements, 10,000 fires at once went from p99
   * 2.4 s at 50 a batch to 1.35 s at 200 (bench/: scheduler).
   */
  batchSize?: number;
  /** Transactions at once. A workflow's schedules always share one, in time order. */
  lanes?: number;
  /**
   * How long before a fire its run is prepared (the workflow read, the inputs checked, the plan made),
   * so that at the time only its rows are written; 0 prepares nothing ahead. Default 2 s: 10,000 fires
   * at once then cost at the minute only the writes (bench/: scheduler).
   */
  prepareAheadMs?: number;
  /** Sync the schedules from the registered workflows on start (default true). */
  sync?: boolean;
  onEvent?: (event: SchedulerEvent) => void;
}

export type SchedulerEvent =
  | { type: "leading"; since: number }
  | { type: "standby"; holder: string; until: number }
  | ({ type: "fire"; lateMs: number } & FireOutcome)
  | { type: "dropped"; schedule: string; reason: string }
  | { type: "prepared"; at: number; runs: number }
  | { type: "error"; error: Error };

/**
 * The lifecycle: `stopped` → start() → `standby` (another server leads; wakes when its lease expires)
 * or `leading` (fires due times; renews the lease) → stop() → `stopped`. A leader that cannot renew
 * before its lease runs out steps down to `standby`.
 */
export type SchedulerState =
  | { status: "stopped" }
  | { status: "standby"; holder: string | undefined; retryAt: number }
  | { status: "leading"; since: number; leaseUntil: number };

const DEFAULT_LEASE_MS = 15_000;
/** After a database error: try again this soon, not in a tight loop. */
const RETRY_MS = 1_000;
/** Runs prepared ahead between two looks at the clock (and chances for other work to run). */
const PREPARE_CHUNK = 100;
/** A standby re-reads the lease at least this often even when it says it lasts longer. */
const MAX_STANDBY_SLEEP_MS = 60_000;
/**
 * How often, at most, the leader looks for schedule changes made by another server; it does so at a
 * lease renewal, so every second one (15 s) by default. Changes made on its own server reach it at once,
 * and a fire never uses a stale schedule (it re-reads the row). An idle leader costs Postgres 0.2
 * transactions a second, a standby 0.1.
 */
const CHANGE_CHECK_MS = 10_000;

interface Entry {
  target: FireTarget;
  cron: CronSchedule;
  catchUp: CatchUp;
  startingDeadlineMs: number | null;
  /** The next time due, or undefined while suspended. */
  next: number | undefined;
  /** The run of the next time, prepared ahead (null: it cannot be, its fire needs a decision). */
  ready?: ReadyFire | null;
}

/**
 * Fires the cron schedules. One timer, set for the earliest next time across all schedules (or the next
 * lease renewal, whichever is first), so a fire starts within milliseconds of its time rather than at
 * the next poll; it is set again whenever the schedules change. Exactly one scheduler leads (a lease),
 * and each fire is one transaction keyed by (schedule, time), so a restart or a fail-over never fires a
 * time twice. Holds no SQL itself: the store's queries do that, `applyFires` owns the transaction.
 */
export class Scheduler {
  readonly id: string;
  private readonly lease: LeaseLike;
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly timer: TimerLike;
  private readonly batchSize: number;
  private readonly lanes: number;
  private readonly prepareAheadMs: number;
  /** Every time up to this one has had its runs prepared (or tried). */
  private preparedUntil = 0;
  private currentState: SchedulerState = { status: "stopped" };
  private entries = new Map<string, Entry>();
  private signature: string | undefined;
  private reloadWanted = true;
  private renewAt = 0;
  private checkChangesAt = 0;
  private backoffUntil = 0;
  private handle: unknown;
  private wakeAtMs: number | undefined;
  private readonly cycles = new SerialCycles({
    cycle: () => this.cycle(),
    active: () => this.currentState.status !== "stopped",
    onError: (error) => {
      this.emit({ type: "error", error });
      this.backoffUntil = this.ctx.now() + RETRY_MS;
    },
    after: () => this.arm(),
  });
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: SchedulerOptions = {},
  ) {
    this.id = options.id ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.lease = options.lease ?? defaultLease(ctx.database);
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    // Half the lease: a renewal that fails is retried every second for the other half before it runs out.
    this.renewMs = options.renewMs ?? Math.floor(this.leaseMs / 2);
    this.timer = options.timer ?? realTimer;
    this.batchSize = options.batchSize ?? 200;
    this.lanes = options.lanes ?? 4;
    this.prepareAheadMs = options.prepareAheadMs ?? 2_000;
  }

  get state(): SchedulerState {
    return this.currentState;
  }

  /** When the timer is set to wake the scheduler next (for tests and diagnostics). */
  get wakeAt(): number | undefined {
    return this.wakeAtMs;
  }

  /** The next time due across all schedules this scheduler knows (leading only). */
  nextDue(): number | undefined {
    let earliest: number | undefined;
    for (const entry of this.entries.values())
      if (entry.next !== undefined && (earliest === undefined || entry.next < earliest))
        earliest = entry.next;
    return earliest;
  }

  async start(): Promise<void> {
    if (this.currentState.status !== "stopped") return;
    this.currentState = { status: "standby", holder: undefined, retryAt: 0 };
    this.unsubscribe = this.ctx.changes.schedules.subscribe(() => {
      this.reloadWanted = true;
      this.wake();
    });
    if (this.options.sync ?? true) {
      const result = await withUnitOfWork(this.ctx, (tx) => syncSchedules(this.ctx, tx));
      for (const problem of result.problems) this.emit({ type: "error", error: new Error(problem) });
    }
    await this.tick();
  }

  /**
   * Stops the timer and waits for a fire in progress. `release: false` keeps the lease row as it is,
   * as a crash would (tests of fail-over); by default it is given up so another server leads at once.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    const was = this.currentState;
    if (was.status === "stopped") return;
    this.currentState = { status: "stopped" };
    this.unsubscribe?.();
    this.timer.clear(this.handle);
    this.wakeAtMs = undefined;
    await this.cycles.idle;
    if (was.status === "leading" && (options.release ?? true))
      await this.lease.release(this.id).catch((error: Error) => this.emit({ type: "error", error }));
    this.entries.clear();
  }

  /** Runs one cycle now (the timer does this by itself; tests with their own clock call it). */
  tick(): Promise<void> {
    this.wake();
    return this.cycles.idle;
  }

  private wake(): void {
    this.cycles.wake();
  }

  private async cycle(): Promise<void> {
    await this.holdLease();
    // A change can make planned fires stale (suspended, redefined): re-read and plan again.
    for (let round = 0; round < 3 && this.currentState.status === "leading"; round++) {
      if (this.reloadWanted) await this.reload();
      if (!(await this.fireDue())) break;
    }
    await this.prepareAhead();
  }

  private async holdLease(): Promise<void> {
    const state = this.currentState;
    const now = this.ctx.now();
    if (state.status === "stopped") return;
    if (state.status === "leading" ? now < this.renewAt : now < state.retryAt) return;
    let lease: { holder: string; expiresAt: number };
    try {
      lease = await this.lease.acquire(this.id, now, now + this.leaseMs);
    } catch (error) {
      this.emit({ type: "error", error: error as Error });
      if (state.status === "leading") {
        // Still ours until it expires; past that another server may lead, so stop firing.
        if (now >= state.leaseUntil) this.standBy(undefined, now + RETRY_MS);
        else this.renewAt = now + RETRY_MS;
      } else this.currentState = { ...state, retryAt: now + RETRY_MS };
      return;
    }
    if (this.currentState.status === "stopped") return;
    if (lease.holder !== this.id) {
      this.standBy(lease.holder, Math.min(lease.expiresAt, now + MAX_STANDBY_SLEEP_MS));
      return;
    }
    this.renewAt = now + this.renewMs;
    if (state.status !== "leading") {
      this.currentState = { status: "leading", since: now, leaseUntil: lease.expiresAt };
      this.reloadWanted = true;
      this.emit({ type: "leading", since: now });
      return;
    }
    this.currentState = { ...state, leaseUntil: lease.expiresAt };
    // Another server may have synced, suspended or resumed schedules: its change shows here. SQLite is
    // one process, whose changes arrive through the in-process event.
    if (this.ctx.database.dialect !== "postgres" || now < this.checkChangesAt) return;
    this.checkChangesAt = now + CHANGE_CHECK_MS;
    if ((await scheduleSignature(this.ctx.database.db)) !== this.signature) this.reloadWanted = true;
  }

  private standBy(holder: string | undefined, retryAt: number): void {
    const was = this.currentState;
    this.currentState = { status: "standby", holder, retryAt };
    this.entries.clear();
    this.signature = undefined;
    if (holder !== undefined && (was.status !== "standby" || was.holder !== holder))
      this.emit({ type: "standby", holder, until: retryAt });
  }

  private async reload(): Promise<void> {
    this.reloadWanted = false;
    // The signature first: a change landing between the two reads is then seen again next renewal.
    const signature = await scheduleSignature(this.ctx.database.db);
    const rows = await listSchedules(this.ctx.database.db);
    const entries = new Map<string, Entry>();
    for (const row of rows) {
      const entry = this.entryOf(row);
      if (!entry) continue;
      // A prepared run survives a reload; the fire checks it against the schedule and workflow anyway.
      const ready = this.entries.get(row.id)?.ready;
      if (ready && ready.at === entry.next) entry.ready = ready;
      entries.set(row.id, entry);
    }
    this.entries = entries;
    this.signature = signature;
    this.checkChangesAt = this.ctx.now() + CHANGE_CHECK_MS;
  }

  private entryOf(row: ScheduleRow): Entry | undefined {
    let cron: CronSchedule;
    try {
      cron = compileCron(row.cron, row.timezone);
    } catch (error) {
      this.emit({ type: "error", error: new Error(`schedule ${row.id}: ${(error as Error).message}`) });
      return undefined;
    }
    const handledUntil = Number(row.handled_until);
    return {
      target: {
        id: row.id,
        workflow: row.workflow,
        inputs: decodeInputs(row),
        concurrency: row.concurrency as ScheduleConcurrency,
        updatedAt: Number(row.updated_at),
        handledUntil,
      },
      cron,
      catchUp: row.catch_up as CatchUp,
      startingDeadlineMs: row.starting_deadline_ms === null ? null : Number(row.starting_deadline_ms),
      next: row.suspended !== 0 ? undefined : cron.next(handledUntil),
    };
  }

  /** Fires everything due. True when some schedule turned out stale and must be re-read. */
  private async fireDue(): Promise<boolean> {
    const state = this.currentState;
    if (state.status !== "leading") return false;
    const now = this.ctx.now();
    if (now >= state.leaseUntil) return false;
    const items: FireItem[] = [];
    for (const entry of this.entries.values()) {
      if (entry.next === undefined || entry.next > now) continue;
      const plan = planFires({
        cron: entry.cron,
        handledUntil: entry.target.handledUntil,
        catchUp: entry.catchUp,
        startingDeadlineMs: entry.startingDeadlineMs,
        now,
        leaderSince: state.since,
      });
      if (plan.dropped)
        this.emit({
          type: "dropped",
          schedule: entry.target.id,
          reason: `more than 100 times were missed; the earlier ones are dropped without a record`,
        });
      items.push({ target: entry.target, plan, ...(entry.ready ? { ready: entry.ready } : {}) });
    }
    if (items.length === 0) return false;
    const lanes: FireItem[][] = Array.from({ length: this.lanes }, () => []);
    for (const item of items) lanes[laneOf(item.target.workflow, this.lanes)]?.push(item);
    let stale = false;
    await Promise.all(
      lanes.map(async (lane) => {
        for (let i = 0; i < lane.length; i += this.batchSize) {
          const current = this.currentState;
          if (current.status !== "leading" || this.ctx.now() >= current.leaseUntil) return;
          const batch = lane.slice(i, i + this.batchSize);
          const applied = await this.applyBatch(batch);
          if (this.absorb(batch, applied)) stale = true;
          await this.renewIfDue();
        }
      }),
    );
    return stale;
  }

  /** One transaction for the batch; when it fails, each schedule alone, so one bad fire blocks no other. */
  private async applyBatch(batch: FireItem[]): Promise<AppliedFires> {
    try {
      return await applyFires(this.ctx, batch);
    } catch (error) {
      if (batch.length > 1) {
        const merged: AppliedFires = { outcomes: [], stale: [] };
        for (const item of batch) {
          const applied = await this.applyBatch([item]);
          merged.outcomes.push(...applied.outcomes);
          merged.stale.push(...applied.stale);
        }
        return merged;
      }
      const item = batch[0] as FireItem;
      if (isUniqueViolation(error)) {
        // A time this schedule's progress says is open was recorded already (only possible if the
        // progress was edited by hand): never fire it again; step over it.
        this.emit({
          type: "error",
          error: new Error(`schedule ${item.target.id}: ${(error as Error).message}`),
        });
        await advanceSchedules(this.ctx.database.db, [item.target.id], item.plan.handledUntil);
        return { outcomes: [], stale: [item.target.id] };
      }
      if (isDatabaseError(error)) throw error;
      // Starting the run failed (inputs that no longer fit, a workflow gone): record it, move on.
      return applyFires(this.ctx, batch, { failWith: error as Error });
    }
  }

  /** Takes a batch's results into the in-memory schedules. True when some were stale. */
  private absorb(batch: FireItem[], applied: AppliedFires): boolean {
    const stale = new Set(applied.stale);
    for (const item of batch) {
      const entry = this.entries.get(item.target.id);
      if (!entry || stale.has(item.target.id)) continue;
      entry.target = { ...entry.target, handledUntil: item.plan.handledUntil };
      entry.next = entry.cron.next(item.plan.handledUntil);
      entry.ready = undefined;
    }
    const now = this.ctx.now();
    for (const outcome of applied.outcomes) this.emit({ type: "fire", lateMs: now - outcome.at, ...outcome });
    if (stale.size > 0) this.reloadWanted = true;
    return stale.size > 0;
  }

  /**
   * Prepares the runs of the fires due within `prepareAheadMs`, so that a busy minute costs at its start
   * only the writes. Stops at the first due time, if it comes first: a fire is never late for it.
   */
  private async prepareAhead(): Promise<void> {
    if (this.currentState.status !== "leading" || this.prepareAheadMs <= 0) return;
    const now = this.ctx.now();
    const horizon = now + this.prepareAheadMs;
    if (horizon <= this.preparedUntil) return;
    const due = [...this.entries.values()].filter(
      (e) => e.next !== undefined && e.next > now && e.next <= horizon && e.ready === undefined,
    );
    let first = Number.POSITIVE_INFINITY;
    for (const e of due) first = Math.min(first, e.next as number);
    const workflows: WorkflowCache = new Map();
    const names = [...new Set(due.map((e) => e.target.workflow))];
    for (const row of await getWorkflows(this.ctx.database.db, names)) workflows.set(row.name, row);
    let runs = 0;
    for (let i = 0; i < due.length; i++) {
      if (i % PREPARE_CHUNK === 0 && i > 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.ctx.now() >= first || this.currentState.status !== "leading") return;
      }
      const entry = due[i] as Entry;
      entry.ready = await this.prepareFire(entry, workflows);
      if (entry.ready) runs++;
    }
    this.preparedUntil = horizon;
    if (due.length > 0) this.emit({ type: "prepared", at: first, runs });
  }

  /** One schedule's next run, or null when its fire must decide at the time (or preparing failed). */
  private async prepareFire(entry: Entry, workflows: WorkflowCache): Promise<ReadyFire | null> {
    const { target } = entry;
    const at = entry.next as number;
    try {
      const run = await prepareScheduledRun(this.ctx, this.ctx.database.db, target, at, workflows);
      return run ? { at, updatedAt: target.updatedAt, run } : null;
    } catch {
      // Bad inputs, a workflow gone: the fire itself finds out again and records it.
      return null;
    }
  }

  private renewing: Promise<void> | undefined;

  /** A long burst of fires must not outlast the lease: renew between batches when it is time. */
  private async renewIfDue(): Promise<void> {
    if (this.ctx.now() < this.renewAt) return;
    this.renewing ??= this.holdLease().finally(() => {
      this.renewing = undefined;
    });
    await this.renewing;
  }

  private arm(): void {
    const state = this.currentState;
    this.timer.clear(this.handle);
    if (state.status === "stopped") return;
    let at = state.status === "leading" ? this.renewAt : state.retryAt;
    if (state.status === "leading") {
      let due = this.nextDue();
      // Wake early to prepare the next fires' runs, unless they are prepared or it is too late for that.
      if (due !== undefined && this.preparedUntil < due && due - this.prepareAheadMs > this.ctx.now())
        due -= this.prepareAheadMs;
      if (due !== undefined && due < at) at = due;
    }
    at = Math.max(at, this.backoffUntil);
    this.wakeAtMs = at;
    this.handle = this.timer.set(() => this.wake(), at - this.ctx.now());
  }

  private emit(event: SchedulerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's bug must not stop the scheduler.
    }
  }
}

/** A stable lane per workflow (FNV-1a), so a workflow's fires never race each other for its locks. */
function laneOf(workflow: string, lanes: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < workflow.length; i++) hash = Math.imul(hash ^ workflow.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % lanes;
}

/**
 * A log line for the events an operator wants to see (leadership, errors, fires that did not start a
 * run), or undefined for the routine ones (each fired time).
 */
export function describeSchedulerEvent(event: SchedulerEvent): string | undefined {
  switch (event.type) {
    case "leading":
      return "scheduler: leading (this server fires the schedules)";
    case "standby":
      return `scheduler: standing by (${event.holder} leads)`;
    case "dropped":
      return `scheduler: ${event.schedule}: ${event.reason}`;
    case "prepared":
      return undefined;
    case "error":
      return `scheduler: ${event.error.message}`;
    case "fire":
      if (event.status === "fired") return undefined;
      return `scheduler: ${event.schedule} at ${new Date(event.at).toISOString()} ${event.status}${event.reason ? `: ${event.reason}` : ""}`;
  }
}
