import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * Live logs: batches of lines (`log_chunks`) numbered by a per-run counter (`runs.log_seq`), so a
 * follower can resume after any offset; and the archived object of each finished step attempt.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable("runs")
    .addColumn("log_seq", "bigint", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable("log_chunks")
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("first_offset", "bigint", (c) => c.notNull())
    .addColumn("step", "text", (c) => c.notNull())
    .addColumn("item_index", "integer", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("line_count", "integer", (c) => c.notNull())
    /** JSON: [[stream, ts, text], ...] */
    .addColumn("lines_json", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("log_chunks_pk", ["run_id", "first_offset"])
    .execute();
  await db.schema
    .createTable("log_archives")
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("step", "text", (c) => c.notNull())
    .addColumn("item_index", "integer", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("object_key", "text", (c) => c.notNull())
    .addColumn("first_offset", "bigint")
    .addColumn("last_offset", "bigint")
    .addColumn("line_count", "integer", (c) => c.notNull())
    .addColumn("bytes", "bigint", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("log_archives_pk", ["run_id", "step", "item_index", "attempt"])
    .execute();
}
