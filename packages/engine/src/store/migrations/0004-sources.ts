import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * Git sources. `sources` holds each configured source's sync state: the active commit (the last one
 * whose workflows were all valid, and so registered), the last sync and its errors. `git_events` makes
 * a push fire once per (source, ref, commit) whether a webhook or the poller sees it first: the row is
 * inserted before the runs start, and whoever fails to insert it starts nothing. `webhook_deliveries`
 * remembers GitHub's X-GitHub-Delivery ids so a redelivered event starts nothing twice. Runs record
 * the source and commit their workflow came from.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("sources")
    .addColumn("name", "text", (c) => c.primaryKey())
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("ref", "text", (c) => c.notNull())
    .addColumn("path", "text", (c) => c.notNull())
    .addColumn("active_commit", "text")
    .addColumn("activated_at", "bigint")
    /** The last commit looked at: equal to active_commit unless that one was invalid. */
    .addColumn("seen_commit", "text")
    .addColumn("last_sync_at", "bigint")
    /** ok | error (the last sync failed or found invalid workflows) | never (not synced yet) */
    .addColumn("state", "text", (c) => c.notNull())
    /** JSON list of `file:line:col: message` (or a git error as one line). */
    .addColumn("errors_json", "text", (c) => c.notNull())
    .addColumn("workflows_json", "text", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("git_events")
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("ref", "text", (c) => c.notNull())
    .addColumn("sha", "text", (c) => c.notNull())
    /** webhook | poll */
    .addColumn("seen_by", "text", (c) => c.notNull())
    .addColumn("recorded_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("git_events_pk", ["source", "ref", "sha"])
    .execute();

  await db.schema
    .createTable("webhook_deliveries")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("received_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema.alterTable("runs").addColumn("source", "text").execute();
  await db.schema.alterTable("runs").addColumn("commit_sha", "text").execute();
}
