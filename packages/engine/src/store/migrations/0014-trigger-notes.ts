import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * `trigger_notes`: what became of events that left no row of their own in `trigger_events`, so the
 * Triggers page can list them: a redelivery dropped as a duplicate (its key was seen before), and a
 * started run whose input mapping found nothing in the event (a text payload where JSON was expected),
 * so those inputs took their defaults.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("trigger_notes")
    .addColumn("trigger_id", "text", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    /** duplicate | unmapped */
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("event_key", "text")
    .addColumn("run_id", "text")
    .addColumn("message", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("trigger_notes_trigger_at")
    .on("trigger_notes")
    .columns(["trigger_id", "at"])
    .execute();
}
