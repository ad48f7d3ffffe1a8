import { randomUUID } from "node:crypto";
import type { NotifyEntry, NotifyEvent, RunInfo, RunState, WorkflowSpec } from "@gantry/core";
import type { Insertable, Selectable } from "kysely";
import type { ServiceContext } from "../service/context.js";
import { maskedJson, secretMasker } from "../service/run-record.js";
import { decodeRunTrigger } from "../store/decode/index.js";
import { insertNotifications, insertNotificationsNotifying } from "../store/queries/notifications.js";
import type { NotificationsTable } from "../store/queries/people-tables.js";
import type { Db } from "../store/queries/types.js";
import type { RunsTable } from "../store/tables.js";
import type { NotificationFacts, NotificationSpec } from "./spec.js";

export type { NotificationFacts, NotificationSpec };

const TERMINAL_EVENT: Record<string, NotifyEvent> = {
  succeeded: "success",
  failed: "failure",
  timed_out: "failure",
  cancelled: "cancelled",
};

export interface RunChange {
  row: Selectable<RunsTable>;
  workflow: WorkflowSpec;
  info: RunInfo;
  state: RunState;
  now: number;
  /** The run just started its first step. */
  started?: boolean;
  /** Steps that began waiting for a decision in this change. */
  newGates?: string[];
  /** The run ended in this change although its row already says so (a run that ended as created). */
  endedNow?: boolean;
}

/**
 * Queues the messages a change of a run calls for (started, its end, recovery, approval_required), in
 * the caller's transaction: they are sent later by the sender, so a slow or failing channel never
 * delays or fails the run. Costs nothing when neither the workflow nor gantry.yaml asks to notify.
 */
export async function queueRunNotifications(ctx: ServiceContext, db: Db, change: RunChange): Promise<void> {
  const entries = [...(ctx.notify?.defaults ?? []), ...(change.workflow.notify ?? [])];
  if (entries.length === 0) return;
  const events: NotifyEvent[] = [];
  if (change.started) events.push("started");
  const ended = TERMINAL_EVENT[change.state.status];
  if (ended && (change.row.finished_at === null || change.endedNow)) {
    events.push(ended);
    if (ended === "success" && (await previousFailed(db, change.row))) events.push("recovery");
  }
  if (change.newGates?.length) events.push("approval_required");
  if (events.length === 0) return;
  const rows: Insertable<NotificationsTable>[] = [];
  // Facts quote messages and errors evaluated with the secret inputs in scope: the stored copy is masked.
  const masker = secretMasker(change.workflow, change.info);
  for (const event of events) {
    const facts = JSON.parse(maskedJson(factsOf(change, event), masker)) as NotificationFacts;
    for (const entry of entries) {
      if (!entry.on.includes(event)) continue;
      for (const [channel, target] of channelsOf(entry)) {
        const { on: _on, ...settings } = entry;
        const spec: NotificationSpec = { entry: { [channel]: settings[channel] }, facts };
        rows.push({
          id: randomUUID(),
          run_id: change.row.id,
          event,
          channel,
          target,
          spec_json: JSON.stringify(spec),
          status: "queued",
          attempts: 0,
          next_at: change.now,
          last_error: null,
          created_at: change.now,
          sent_at: null,
        });
      }
    }
  }
  if (rows.length === 0) return;
  // The senders (every server runs one) are woken so the messages go out now; their poll is only a slow
  // fallback. On SQLite the wake-up is in-process, and the sender's read waits for the one connection
  // this transaction holds, so it sees the rows.
  const channel = ctx.notifier.databaseChannel?.("notifications");
  if (channel !== undefined && ctx.database.dialect === "postgres")
    await insertNotificationsNotifying(db, rows, channel);
  else {
    await insertNotifications(db, rows);
    await ctx.notifier.notify("notifications");
  }
}

/** Where each channel of an entry goes, as people may read it: addresses, or the URL's host only. */
function channelsOf(entry: NotifyEntry): Array<["email" | "slack" | "webhook", string]> {
  const out: Array<["email" | "slack" | "webhook", string]> = [];
  if (entry.email) out.push(["email", entry.email.to.join(", ")]);
  if (entry.slack) out.push(["slack", hostOf(entry.slack.webhook_url)]);
  if (entry.webhook) out.push(["webhook", hostOf(entry.webhook.url)]);
  return out;
}

function hostOf(url: string): string {
  if (url.startsWith("ref+")) return `${url.slice(0, url.indexOf("://") + 3)}…`;
  try {
    return new URL(url).host;
  } catch {
    return "(invalid URL)";
  }
}

function factsOf(change: RunChange, event: NotifyEvent): NotificationFacts {
  const { row, state, info } = change;
  const failed = Object.entries(state.steps).find(([, s]) => s.result === "failure");
  const error = failed?.[1].error ?? failed?.[1].items.find((i) => i.error)?.error ?? state.error;
  return {
    event,
    run_id: row.id,
    workflow: row.workflow,
    trigger: info.trigger.type,
    status: event === "approval_required" ? "waiting" : event === "started" ? "running" : state.status,
    attempt: row.attempt,
    started_at: row.started_at ?? (change.started ? change.now : null),
    at: change.now,
    ...(failed && (event === "failure" || event === "cancelled") ? { failed_step: failed[0] } : {}),
    ...(error && event === "failure" ? { error } : {}),
    ...(event === "approval_required"
      ? {
          approvals: (change.newGates ?? []).map((step) => {
            const gate = state.steps[step]?.gate;
            return {
              step,
              ...(gate?.message ? { message: gate.message } : {}),
              ...(gate?.environment ? { environment: gate.environment } : {}),
            };
          }),
        }
      : {}),
  };
}

/**
 * "Recovery": the run before this one of the same workflow and trigger type failed. Cancelled runs are
 * passed over: a cancel says nothing about whether the job works, so fail, cancel, succeed recovers.
 */
async function previousFailed(db: Db, row: Selectable<RunsTable>): Promise<boolean> {
  const trigger = decodeRunTrigger(row).type ?? null;
  let query = db
    .selectFrom("runs")
    .select(["status"])
    .where("workflow", "=", row.workflow)
    .where("id", "!=", row.id)
    .where("status", "in", ["succeeded", "failed", "timed_out"])
    .where("created_at", "<", row.created_at);
  if (trigger) query = query.where("trigger_type", "=", trigger);
  const previous = await query.orderBy("created_at", "desc").limit(1).executeTakeFirst();
  return previous !== undefined && (previous.status === "failed" || previous.status === "timed_out");
}
