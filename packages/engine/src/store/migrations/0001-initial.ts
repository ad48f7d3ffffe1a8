import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("workflows")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("file", "text", (c) => c.notNull())
    .addColumn("revision", "text", (c) => c.notNull())
    .addColumn("definition_json", "text", (c) => c.notNull())
    .addColumn("input_schema_json", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("runs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("workflow", "text", (c) => c.notNull())
    .addColumn("revision", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("trigger_json", "text", (c) => c.notNull())
    .addColumn("inputs_json", "text", (c) => c.notNull())
    .addColumn("secret_inputs", "text")
    .addColumn("info_json", "text", (c) => c.notNull())
    .addColumn("state_json", "text", (c) => c.notNull())
    .addColumn("outputs_json", "text")
    .addColumn("error", "text")
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("parent_run_id", "text")
    .addColumn("concurrency_group", "text")
    .addColumn("cancel_requested", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("started_at", "bigint")
    .addColumn("finished_at", "bigint")
    .execute();
  // The runs list pages newest first, filtered by workflow and status.
  await db.schema.createIndex("runs_created").on("runs").columns(["created_at", "id"]).execute();
  await db.schema
    .createIndex("runs_workflow_created")
    .on("runs")
    .columns(["workflow", "created_at"])
    .execute();
  await db.schema.createIndex("runs_status").on("runs").columns(["status", "created_at"]).execute();
  await db.schema
    .createIndex("runs_concurrency")
    .on("runs")
    .columns(["concurrency_group", "status"])
    .execute();

  await db.schema
    .createTable("jobs")
    .addColumn("id", dialect === "postgres" ? "bigserial" : "integer", (c) =>
      dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("step", "text", (c) => c.notNull())
    .addColumn("item_index", "integer", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("priority", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("available_at", "bigint", (c) => c.notNull())
    .addColumn("labels_json", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("worker_id", "text")
    .addColumn("lease_until", "bigint")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  // The claim query's scan: queued jobs in priority order, oldest first.
  await db.schema
    .createIndex("jobs_claim")
    .on("jobs")
    .columns(["status", "priority", "available_at"])
    .execute();
  await db.schema.createIndex("jobs_run").on("jobs").columns(["run_id"]).execute();
  await db.schema.createIndex("jobs_lease").on("jobs").columns(["status", "lease_until"]).execute();

  await db.schema
    .createTable("step_attempts")
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("step", "text", (c) => c.notNull())
    .addColumn("item_index", "integer", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("exit_code", "integer")
    .addColumn("worker_id", "text")
    .addColumn("error", "text")
    .addColumn("started_at", "bigint")
    .addColumn("finished_at", "bigint")
    .addPrimaryKeyConstraint("step_attempts_pk", ["run_id", "step", "item_index", "attempt"])
    .execute();

  await db.schema
    .createTable("workers")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("labels_json", "text", (c) => c.notNull())
    .addColumn("capacity", "integer", (c) => c.notNull())
    .addColumn("hostname", "text", (c) => c.notNull())
    .addColumn("started_at", "bigint", (c) => c.notNull())
    .addColumn("heartbeat_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("bundles")
    .addColumn("hash", "text", (c) => c.primaryKey())
    .addColumn("content", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
}
