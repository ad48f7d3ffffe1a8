import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * What CI runs leave besides logs: each step attempt's summary (Markdown, masked and bounded), the
 * artifacts a run uploaded and the caches runs share, both as objects in the log archive (local folder
 * or S3) described here by size and SHA-256. `step` is the step's key as the worker names it, opaque
 * here, so the steps of a job can be told apart by a longer key without a new column. And what was
 * reported on GitHub for runs that a GitHub event started (commit statuses or check runs).
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("step_summaries")
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("step", "text", (c) => c.notNull())
    .addColumn("item_index", "integer", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("markdown", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("step_summaries_pk", ["run_id", "step", "item_index", "attempt"])
    .execute();

  await db.schema
    .createTable("artifacts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("workflow", "text", (c) => c.notNull())
    .addColumn("step", "text", (c) => c.notNull())
    .addColumn("branch", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("object_key", "text", (c) => c.notNull())
    .addColumn("files", "integer", (c) => c.notNull())
    .addColumn("size", "bigint", (c) => c.notNull())
    .addColumn("sha256", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint")
    .addUniqueConstraint("artifacts_run_name", ["run_id", "name"])
    .execute();
  await db.schema.createIndex("artifacts_expires").on("artifacts").column("expires_at").execute();
  await db.schema
    .createIndex("artifacts_latest")
    .on("artifacts")
    .columns(["workflow", "branch", "name", "created_at"])
    .execute();

  await db.schema
    .createTable("caches")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("namespace", "text", (c) => c.notNull())
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("object_key", "text", (c) => c.notNull())
    .addColumn("size", "bigint", (c) => c.notNull())
    .addColumn("sha256", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("last_used_at", "bigint", (c) => c.notNull())
    .addUniqueConstraint("caches_scope_key", ["namespace", "scope", "key"])
    .execute();
  await db.schema
    .createIndex("caches_last_used")
    .on("caches")
    .columns(["namespace", "last_used_at"])
    .execute();

  await db.schema
    .createTable("commit_reports")
    .addColumn("run_id", "text", (c) => c.primaryKey())
    .addColumn("run_status", "text", (c) => c.notNull())
    .addColumn("check_run_id", "bigint")
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("next_at", "bigint", (c) => c.notNull())
    .addColumn("error", "text")
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
}
