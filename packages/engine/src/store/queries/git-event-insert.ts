import { withSourceTables } from "./source-tables.js";
import type { Db } from "./types.js";

/**
 * Records that a push of (source, ref, sha) was seen. True only for the first caller: a webhook and
 * the poller that both see the commit race on the primary key, and only the winner starts runs.
 */
export async function claimGitEvent(
  db: Db,
  event: { source: string; ref: string; sha: string; seenBy: string; now: number },
): Promise<boolean> {
  const inserted = await withSourceTables(db)
    .insertInto("git_events")
    .values({
      source: event.source,
      ref: event.ref,
      sha: event.sha,
      seen_by: event.seenBy,
      recorded_at: event.now,
    })
    .onConflict((oc) => oc.doNothing())
    .returning("sha")
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Records a GitHub delivery id; false when it was recorded before (a redelivery). */
export async function claimDelivery(db: Db, id: string, event: string, now: number): Promise<boolean> {
  const inserted = await withSourceTables(db)
    .insertInto("webhook_deliveries")
    .values({ id, event, received_at: now })
    .onConflict((oc) => oc.doNothing())
    .returning("id")
    .executeTakeFirst();
  return inserted !== undefined;
}
