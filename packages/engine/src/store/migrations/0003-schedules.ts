import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * The scheduler's tables. `schedules` mirrors the registered workflows' `on.schedule` entries plus the
 * state the API changes (suspended) and the scheduler's progress (`handled_until`: every cron time up
 * to it has been fired, skipped or recorded missed). `schedule_fires` is the history, and its primary
 * key (schedule, scheduled time, kind) is what makes a fire happen once: the row is inserted in the
 * transaction that creates the run. `leases` holds the singletons' leader leases (the scheduler's,
 * later each trigger listener's).
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("schedules")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("workflow", "text", (c) => c.notNull())
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("cron", "text", (c) => c.notNull())
    .addColumn("timezone", "text", (c) => c.notNull())
    .addColumn("inputs_json", "text", (c) => c.notNull())
    .addColumn("concurrency", "text", (c) => c.notNull())
    .addColumn("starting_deadline_ms", "bigint")
    .addColumn("catch_up", "text", (c) => c.notNull())
    /** What the workflow file says (`suspend:`), to tell a changed file from an unchanged one. */
    .addColumn("suspend_file", "integer", (c) => c.notNull())
    /** The state in force: the file's, or the API's when that was set after the file last changed. */
    .addColumn("suspended", "integer", (c) => c.notNull())
    .addColumn("handled_until", "bigint", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("schedules_workflow").on("schedules").columns(["workflow"]).execute();

  await db.schema
    .createTable("schedule_fires")
    .addColumn("schedule_id", "text", (c) => c.notNull())
    .addColumn("scheduled_at", "bigint", (c) => c.notNull())
    /** cron (the expression's time) | manual ("fire now": the time it was asked for) */
    .addColumn("kind", "text", (c) => c.notNull())
    /** fired | skipped (concurrency: forbid) | missed (catch-up policy, starting deadline) | failed */
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("run_id", "text")
    .addColumn("reason", "text")
    .addColumn("recorded_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("schedule_fires_pk", ["schedule_id", "scheduled_at", "kind"])
    .execute();

  await db.schema
    .createTable("leases")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("holder", "text", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
}
