import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * The event triggers' tables.
 * - `triggers` mirrors the registered workflows' `on.rabbitmq|kinesis|postgres|mqtt|nats|workflow`
 *   entries, plus each listener's state as its leader last wrote it (for GET /api/v1/triggers).
 * - `trigger_events` records every event that reached Gantry: the run it started or why it did not.
 *   Its primary key (trigger, event key) is what makes a redelivered event (a message acknowledged too
 *   late, a replayed shard or WAL position) start its run once: the row is inserted in the transaction
 *   that creates the run.
 * - `trigger_checkpoints`: where a listener resumes (a Kinesis shard's sequence number, a chain's
 *   last finished run), written in the same transaction as the runs it covers.
 * The listeners' leases are rows in `leases` (migration 0003) named `trigger:<id>`.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("triggers")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("workflow", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("position", "integer", (c) => c.notNull())
    /** The entry as written (secret references unresolved), without `inputs`. */
    .addColumn("config_json", "text", (c) => c.notNull())
    .addColumn("inputs_json", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    /** stopped | standby | connecting | connected | reconnecting */
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("holder", "text")
    .addColumn("connected_at", "bigint")
    .addColumn("last_event_at", "bigint")
    .addColumn("last_run_id", "text")
    .addColumn("last_error", "text")
    .addColumn("last_error_at", "bigint")
    .addColumn("events", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("failures", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("state_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("triggers_workflow").on("triggers").columns(["workflow"]).execute();

  await db.schema
    .createTable("trigger_events")
    .addColumn("trigger_id", "text", (c) => c.notNull())
    .addColumn("event_key", "text", (c) => c.notNull())
    /** started | failed */
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("run_id", "text")
    .addColumn("error", "text")
    .addColumn("received_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("trigger_events_pk", ["trigger_id", "event_key"])
    .execute();
  await db.schema
    .createIndex("trigger_events_received")
    .on("trigger_events")
    .columns(["trigger_id", "received_at"])
    .execute();

  await db.schema
    .createTable("trigger_checkpoints")
    .addColumn("trigger_id", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("value", "text", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("trigger_checkpoints_pk", ["trigger_id", "name"])
    .execute();
  // A workflow chain looks for runs finished since its checkpoint.
  await db.schema
    .createIndex("runs_workflow_finished")
    .on("runs")
    .columns(["workflow", "finished_at"])
    .execute();
}
