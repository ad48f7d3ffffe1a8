import { NotFoundError, type ServiceContext } from "../service/context.js";
import { decodeInputs, decodeTriggerConfig } from "../store/decode/index.js";
import { recentTriggerEvents } from "../store/queries/trigger-events.js";
import { triggerLeases } from "../store/queries/trigger-leases.js";
import { getTrigger, listTriggers } from "../store/queries/trigger-list.js";
import { recentTriggerNotes } from "../store/queries/trigger-notes.js";
import type { TriggerRow } from "../store/queries/trigger-tables.js";
import { hideUrlPassword } from "./event-source.js";
import type { ListenerState } from "./listener.js";

export interface TriggerEventView {
  key: string;
  status: "started" | "failed";
  runId: string | null;
  error: string | null;
  receivedAt: number;
}

export interface TriggerStatus {
  id: string;
  workflow: string;
  kind: string;
  /** The entry as written, with any password in a URL replaced by `***` (references stay references). */
  config: Record<string, unknown>;
  inputs: Record<string, unknown>;
  state: ListenerState;
  connected: boolean;
  /** The server consuming it (the lease holder), while it runs. */
  holder: string | null;
  connectedAt: number | null;
  lastEventAt: number | null;
  lastRunId: string | null;
  lastError: string | null;
  lastErrorAt: number | null;
  events: number;
  failures: number;
  /** When the state was last written. */
  stateAt: number;
  recent?: TriggerEventView[];
  /** Events that started nothing of their own (dropped duplicates) or whose inputs took defaults. */
  notes?: TriggerNoteView[];
}

export interface TriggerNoteView {
  kind: "duplicate" | "unmapped";
  key: string | null;
  runId: string | null;
  message: string;
  at: number;
}

/** Every trigger's state as its listener last wrote it; any server can answer. */
export async function listTriggerStatus(
  ctx: ServiceContext,
  options: { workflow?: string; recent?: number } = {},
): Promise<TriggerStatus[]> {
  const rows = await listTriggers(
    ctx.database.db,
    options.workflow !== undefined ? { workflow: options.workflow } : {},
  );
  const leases = ctx.database.dialect === "postgres" ? await triggerLeases(ctx.database.db) : undefined;
  const out: TriggerStatus[] = [];
  for (const row of rows) {
    const status = leased(statusOf(row), leases, ctx.now());
    if (options.recent) {
      status.recent = await recentOf(ctx, row.id, options.recent);
      status.notes = await notesOf(ctx, row.id, options.recent);
    }
    out.push(status);
  }
  return out;
}

/**
 * A state written by a server that has since died (its lease ran out, no other took it yet) is not
 * the truth: no one consumes the trigger. Shown as `standby` without a holder until another server leads.
 */
function leased(
  status: TriggerStatus,
  leases: Map<string, { holder: string; expiresAt: number }> | undefined,
  now: number,
): TriggerStatus {
  if (!leases || status.state === "stopped" || status.state === "standby") return status;
  const lease = leases.get(status.id);
  if (lease && lease.expiresAt > now && lease.holder === status.holder) return status;
  return { ...status, state: "standby", connected: false, holder: null };
}

function statusOf(row: TriggerRow): TriggerStatus {
  const config = decodeTriggerConfig(row);
  if (typeof config.url === "string") config.url = hideUrlPassword(config.url);
  const num = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: row.id,
    workflow: row.workflow,
    kind: row.kind,
    config,
    inputs: decodeInputs(row),
    state: row.state as ListenerState,
    connected: row.state === "connected",
    holder: row.holder,
    connectedAt: num(row.connected_at),
    lastEventAt: num(row.last_event_at),
    lastRunId: row.last_run_id,
    lastError: row.last_error,
    lastErrorAt: num(row.last_error_at),
    events: Number(row.events),
    failures: Number(row.failures),
    stateAt: Number(row.state_at),
  };
}

/** One trigger's state with its latest events (newest first). */
export async function getTriggerStatus(
  ctx: ServiceContext,
  id: string,
  options: { recent?: number } = {},
): Promise<TriggerStatus> {
  const row = await getTrigger(ctx.database.db, id);
  if (!row) throw new NotFoundError(`unknown trigger '${id}'`);
  const leases = ctx.database.dialect === "postgres" ? await triggerLeases(ctx.database.db) : undefined;
  const status = leased(statusOf(row), leases, ctx.now());
  status.recent = await recentOf(ctx, id, options.recent ?? 20);
  status.notes = await notesOf(ctx, id, options.recent ?? 20);
  return status;
}

async function notesOf(ctx: ServiceContext, id: string, limit: number): Promise<TriggerNoteView[]> {
  return (await recentTriggerNotes(ctx.database.db, id, limit)).map((n) => ({
    kind: n.kind,
    key: n.event_key,
    runId: n.run_id,
    message: n.message,
    at: n.at,
  }));
}

async function recentOf(ctx: ServiceContext, id: string, limit: number): Promise<TriggerEventView[]> {
  return (await recentTriggerEvents(ctx.database.db, id, limit)).map((e) => ({
    key: e.event_key,
    status: e.status as "started" | "failed",
    runId: e.run_id,
    error: e.error,
    receivedAt: Number(e.received_at),
  }));
}
