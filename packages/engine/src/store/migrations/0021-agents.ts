import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * Agents: workers that reach only the server's API.
 * - `workers.kind` (`worker` | `agent`) and `workers.version`: the Workers page tells them apart.
 * - `api_keys.labels_json`: an agent key's labels, the only ones its agents may claim jobs for.
 * - `agent_log_marks`: how many lines of a leased job's log the server took from the agent running it,
 *   so a batch the agent sends again after a lost answer is stored once.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable("workers")
    .addColumn("kind", "text", (c) => c.notNull().defaultTo("worker"))
    .execute();
  await db.schema.alterTable("workers").addColumn("version", "text").execute();
  await db.schema.alterTable("api_keys").addColumn("labels_json", "text").execute();
  await db.schema
    .createTable("agent_log_marks")
    .addColumn("job_id", "bigint", (c) => c.notNull())
    .addColumn("worker_id", "text", (c) => c.notNull())
    .addColumn("lines", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("agent_log_marks_pk", ["job_id", "worker_id"])
    .execute();
}
