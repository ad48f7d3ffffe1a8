import { type Insertable, sql } from "kysely";
import { type NotificationRow, type NotificationsTable, withPeopleTables } from "./people-tables.js";
import type { Db } from "./types.js";

export async function insertNotifications(db: Db, rows: Insertable<NotificationsTable>[]): Promise<void> {
  if (rows.length > 0) await withPeopleTables(db).insertInto("notifications").values(rows).execute();
}

/**
 * Queues notifications and wakes the senders LISTENing on `channel` in the same statement (Postgres:
 * the wake-up is delivered at the commit of the caller's transaction, and dropped with its rollback).
 */
export async function insertNotificationsNotifying(
  db: Db,
  rows: Insertable<NotificationsTable>[],
  channel: string,
): Promise<void> {
  await withPeopleTables(db)
    .with("queued", (q) => q.insertInto("notifications").values(rows).returning("id"))
    .selectNoFrom(sql<string>`pg_notify(${channel}, '')`.as("woken"))
    .execute();
}

/** Queued notifications that are due, oldest first. */
export async function dueNotifications(db: Db, now: number, limit: number): Promise<NotificationRow[]> {
  return withPeopleTables(db)
    .selectFrom("notifications")
    .selectAll()
    .where("status", "=", "queued")
    .where("next_at", "<=", now)
    .orderBy("next_at")
    .limit(limit)
    .execute();
}

/**
 * Takes a notification for sending: moves its due time past the send's deadline, only if nobody else
 * moved it first (so two servers never send it at once; a crashed sender's claim lapses by itself).
 */
export async function claimNotification(db: Db, row: NotificationRow, until: number): Promise<boolean> {
  const result = await withPeopleTables(db)
    .updateTable("notifications")
    .set({ next_at: until })
    .where("id", "=", row.id)
    .where("status", "=", "queued")
    .where("next_at", "=", row.next_at)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function updateNotification(
  db: Db,
  id: string,
  changes: {
    status: string;
    attempts: number;
    next_at: number;
    last_error: string | null;
    sent_at: number | null;
  },
): Promise<void> {
  await withPeopleTables(db).updateTable("notifications").set(changes).where("id", "=", id).execute();
}

export async function runNotifications(db: Db, runId: string): Promise<NotificationRow[]> {
  return withPeopleTables(db)
    .selectFrom("notifications")
    .selectAll()
    .where("run_id", "=", runId)
    .orderBy("created_at")
    .execute();
}
