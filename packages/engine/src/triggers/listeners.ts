import { randomUUID } from "node:crypto";
import os from "node:os";
import type { EventTriggerKind } from "@gantry/core";
import type { ServiceContext } from "../service/context.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { decodeInputs, decodeTriggerConfig } from "../store/decode/index.js";
import { listTriggers } from "../store/queries/trigger-list.js";
import { sourceFor } from "./event-sources/index.js";
import { type ListenerEvent, type ListenerOptions, TriggerListener } from "./listener.js";
import { syncTriggers } from "./sync.js";

export interface TriggerListenersOptions extends Omit<ListenerOptions, "holder" | "onEvent"> {
  /** This server's name in the leases; default `<hostname>:<pid>:<random>`. */
  id?: string;
  /** Sync the triggers from the registered workflows on start and when they change (default true). */
  sync?: boolean;
  /** How often the registered workflows are compared with the triggers (another server registered some). */
  checkMs?: number;
  onEvent?: (event: ListenerEvent) => void;
}

/** How often a server looks for workflows registered elsewhere: one small query per 10 s. */
const CHECK_MS = 10_000;

/**
 * Runs a listener for every trigger in the store, each a singleton under its own lease (see
 * TriggerListener), and keeps the set in step with the registered workflows: a new entry gets a
 * listener, a changed one is restarted, a removed one stopped. Every server runs one of these; on
 * Postgres each trigger is consumed by whichever server holds its lease.
 */
export class TriggerListeners {
  readonly id: string;
  private readonly listeners = new Map<string, { listener: TriggerListener; signature: string }>();
  private unsubscribe: (() => void) | undefined;
  private interval: NodeJS.Timeout | undefined;
  private workflowsSignature: string | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private started = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: TriggerListenersOptions = {},
  ) {
    this.id = options.id ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  /** The listeners this server runs (leading or standing by), by trigger id. */
  get all(): ReadonlyMap<string, TriggerListener> {
    return new Map([...this.listeners].map(([id, entry]) => [id, entry.listener]));
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.unsubscribe = this.ctx.changes.triggers.subscribe(() => void this.reload());
    await this.refresh();
    this.interval = setInterval(() => {
      this.refresh().catch((error: Error) => this.emitError(error));
    }, this.options.checkMs ?? CHECK_MS);
    this.interval.unref();
  }

  /** Syncs the triggers from the registered workflows when those changed, then reloads the listeners. */
  async refresh(): Promise<void> {
    if (this.options.sync ?? true) {
      const rows = await this.ctx.database.db
        .selectFrom("workflows")
        .select(["name", "revision"])
        .orderBy("name")
        .execute();
      const signature = rows.map((r) => `${r.name}@${r.revision}`).join("\n");
      if (signature !== this.workflowsSignature) {
        await withUnitOfWork(this.ctx, (tx) => syncTriggers(this.ctx, tx));
        this.workflowsSignature = signature;
      }
    }
    await this.reload();
  }

  /** Makes the running listeners match the `triggers` table. */
  reload(): Promise<void> {
    this.reloading = this.reloading
      .then(() => this.reloadNow())
      .catch((error: Error) => this.emitError(error));
    return this.reloading;
  }

  private async reloadNow(): Promise<void> {
    if (!this.started) return;
    const rows = await listTriggers(this.ctx.database.db);
    const wanted = new Set<string>();
    for (const row of rows) {
      wanted.add(row.id);
      const signature = `${row.kind}\u0000${row.config_json}\u0000${row.inputs_json}`;
      const current = this.listeners.get(row.id);
      if (current?.signature === signature) continue;
      if (current) await current.listener.stop();
      const config = decodeTriggerConfig(row);
      const kind = row.kind as EventTriggerKind;
      const listener = new TriggerListener(
        this.ctx,
        {
          id: row.id,
          workflow: row.workflow,
          kind,
          config,
          inputs: decodeInputs(row),
        },
        () => sourceFor(kind, config),
        { ...this.options, holder: this.id },
      );
      this.listeners.set(row.id, { listener, signature });
      listener.start();
    }
    for (const [id, entry] of this.listeners) {
      if (wanted.has(id)) continue;
      this.listeners.delete(id);
      await entry.listener.stop();
    }
  }

  /** Stops every listener and gives their leases up (`release: false` keeps them, as a crash would). */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.unsubscribe?.();
    if (this.interval) clearInterval(this.interval);
    await this.reloading;
    await Promise.all([...this.listeners.values()].map((e) => e.listener.stop(options)));
    this.listeners.clear();
  }

  private emitError(error: Error): void {
    try {
      this.options.onEvent?.({ type: "error", trigger: "*", error });
    } catch {
      // A listener's bug must not stop the triggers.
    }
  }
}

/** A log line for what an operator wants to see: state changes and errors. */
export function describeTriggerEvent(event: ListenerEvent): string | undefined {
  if (event.type === "error") return `trigger ${event.trigger}: ${event.error.message}`;
  if (event.state === "standby")
    return event.holder ? `trigger ${event.trigger}: standing by (${event.holder} consumes)` : undefined;
  return `trigger ${event.trigger}: ${event.state}`;
}
