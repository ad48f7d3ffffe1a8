import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * People in the loop. `deployments`: each start of a step that deploys to an environment, for the
 * Deployments page (its result is read from the run). `notifications`: messages queued for sending,
 * retried with backoff and shown with their run. `auth_sessions.groups_json`: the OIDC `groups` claim,
 * which approvals name.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("deployments")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("environment", "text", (c) => c.notNull())
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("step", "text", (c) => c.notNull())
    .addColumn("workflow", "text", (c) => c.notNull())
    .addColumn("commit_sha", "text")
    .addColumn("url", "text")
    .addColumn("inputs_json", "text", (c) => c.notNull())
    .addColumn("approved_by", "text")
    .addColumn("started_by", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("deployments_environment")
    .on("deployments")
    .columns(["environment", "created_at"])
    .execute();
  await db.schema
    .createIndex("deployments_run")
    .on("deployments")
    .columns(["run_id", "step"])
    .unique()
    .execute();

  await db.schema
    .createTable("notifications")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("event", "text", (c) => c.notNull())
    /** email | slack | webhook */
    .addColumn("channel", "text", (c) => c.notNull())
    /** Where it goes, as people may read it (addresses, a host): never a secret. */
    .addColumn("target", "text", (c) => c.notNull())
    /** The channel's settings as written (secret references unresolved) and the message's facts. */
    .addColumn("spec_json", "text", (c) => c.notNull())
    /** queued | sent | failed */
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("next_at", "bigint", (c) => c.notNull())
    .addColumn("last_error", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("sent_at", "bigint")
    .execute();
  await db.schema
    .createIndex("notifications_due")
    .on("notifications")
    .columns(["status", "next_at"])
    .execute();
  await db.schema.createIndex("notifications_run").on("notifications").columns(["run_id"]).execute();

  await db.schema.alterTable("auth_sessions").addColumn("groups_json", "text").execute();
}
