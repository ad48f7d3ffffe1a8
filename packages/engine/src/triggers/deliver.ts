import { randomUUID } from "node:crypto";
import { type EventTriggerKind, emptyInputsNote, eventTrigger, mapEventInputsReport } from "@gantry/core";
import type { ServiceContext } from "../service/context.js";
import { createRun } from "../service/create-run.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { isDatabaseError, isUniqueViolation } from "../store/database-errors.js";
import { setTriggerCheckpoints } from "../store/queries/trigger-checkpoints.js";
import { getTriggerEvent, insertTriggerEvent } from "../store/queries/trigger-events.js";
import { insertTriggerNote } from "../store/queries/trigger-notes.js";
import { countTriggerEvent } from "../store/queries/trigger-state.js";

/** An event as a source hands it over. */
export interface TriggerEvent {
  /** The body, decoded (`decodePayload`): JSON when it parses, text otherwise. */
  payload: unknown;
  /** What the source says about it: queue, routing key, headers, shard, topic, subject, … */
  meta: Record<string, unknown>;
  /**
   * Names the event across redeliveries (an AMQP message id, shard + sequence number, a WAL position,
   * a JetStream sequence, a run id): a second delivery with the same key starts no second run. Without
   * one every delivery is a new event (at least once).
   */
  key?: string;
  /** Checkpoints stored in the same transaction as the event's run (resume positions). */
  checkpoint?: Record<string, string>;
}

/** What became of an event. `failed` events are recorded too; the source dead-letters them. */
export type Delivery =
  | { status: "started"; runId: string }
  | { status: "duplicate"; runId: string | null }
  | { status: "failed"; error: string };

/** The trigger as a listener holds it. */
export interface TriggerTarget {
  id: string;
  workflow: string;
  kind: EventTriggerKind;
  inputs: Record<string, unknown>;
}

/**
 * Turns an event into a run, durably: the run, the event's record (keyed by trigger and event key) and
 * the checkpoint commit in one transaction, so a source that acknowledges after this returns never
 * loses an event, and one that redelivers (a crash before the acknowledgement) never starts it twice.
 * An event that cannot start a run (its inputs do not fit, the mapping fails, the workflow is gone) is
 * recorded as failed, checkpoint included, so it does not block the events behind it. A database error
 * is thrown: the source must not acknowledge, and redelivers after reconnecting.
 */
export async function deliverEvent(
  ctx: ServiceContext,
  target: TriggerTarget,
  event: TriggerEvent,
): Promise<Delivery> {
  const key = event.key ?? randomUUID();
  const trigger = eventTrigger(target.kind, target.id, event.payload, event.meta);
  const { db } = ctx.database;
  if (event.key !== undefined) {
    const seen = await getTriggerEvent(db, target.id, key);
    if (seen) return duplicate(ctx, target, key, seen.run_id);
  }
  let failure: Error;
  try {
    const { inputs, empty } = mapEventInputsReport(target.inputs, trigger);
    const runId = await withUnitOfWork(ctx, async (tx) => {
      const run = await createRun(ctx, tx, { workflow: target.workflow, inputs, trigger });
      const now = ctx.now();
      await insertTriggerEvent(tx.db, {
        trigger_id: target.id,
        event_key: key,
        status: "started",
        run_id: run.id,
        error: null,
        received_at: now,
      });
      if (event.checkpoint) await setTriggerCheckpoints(tx.db, target.id, event.checkpoint, now);
      await countTriggerEvent(tx.db, target.id, { at: now, runId: run.id, failed: false });
      return run.id;
    });
    if (empty.length > 0) {
      await note(ctx, {
        trigger_id: target.id,
        at: ctx.now(),
        kind: "unmapped",
        event_key: event.key ?? null,
        run_id: runId,
        message: emptyInputsNote(empty, event.payload),
      });
    }
    return { status: "started", runId };
  } catch (error) {
    if (isUniqueViolation(error)) {
      const seen = await getTriggerEvent(db, target.id, key);
      return duplicate(ctx, target, key, seen?.run_id ?? null);
    }
    if (isDatabaseError(error)) throw error;
    failure = error as Error;
  }
  const message = failure.message;
  try {
    await recordFailure(ctx, target, key, message, event.checkpoint);
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const seen = await getTriggerEvent(db, target.id, key);
    return { status: "duplicate", runId: seen?.run_id ?? null };
  }
  return { status: "failed", error: message };
}

/** A redelivered event starts nothing; the note says so on the Triggers page. */
async function duplicate(
  ctx: ServiceContext,
  target: TriggerTarget,
  key: string,
  runId: string | null,
): Promise<Delivery> {
  await note(ctx, {
    trigger_id: target.id,
    at: ctx.now(),
    kind: "duplicate",
    event_key: key,
    run_id: runId,
    message: `dropped: event ${key} was delivered before${runId ? ` and started run ${runId}` : ""}`,
  });
  return { status: "duplicate", runId };
}

/** Notes are for people: losing one must not make the source redeliver the event. */
async function note(ctx: ServiceContext, row: Parameters<typeof insertTriggerNote>[1]): Promise<void> {
  try {
    await insertTriggerNote(ctx.database.db, row);
  } catch {
    // The event itself is recorded; only the note is lost.
  }
}

async function recordFailure(
  ctx: ServiceContext,
  target: TriggerTarget,
  key: string,
  message: string,
  checkpoint: Record<string, string> | undefined,
): Promise<void> {
  await withUnitOfWork(ctx, async ({ db: tx }) => {
    const now = ctx.now();
    await insertTriggerEvent(tx, {
      trigger_id: target.id,
      event_key: key,
      status: "failed",
      run_id: null,
      error: message,
      received_at: now,
    });
    if (checkpoint) await setTriggerCheckpoints(tx, target.id, checkpoint, now);
    await countTriggerEvent(tx, target.id, { at: now, runId: null, failed: true });
  });
}
