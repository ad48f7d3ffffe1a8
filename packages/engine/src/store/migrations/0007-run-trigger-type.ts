import { type Kysely, sql } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * `runs.trigger_type`: the runs list filters by trigger (manual, schedule, push, …). A column with an
 * index keeps that filter as fast as the others at 100,000 runs, which a JSON expression could not.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema.alterTable("runs").addColumn("trigger_type", "text").execute();
  const type =
    dialect === "postgres" ? sql`(trigger_json::json ->> 'type')` : sql`json_extract(trigger_json, '$.type')`;
  await sql`update runs set trigger_type = ${type}`.execute(db);
  await db.schema
    .createIndex("runs_trigger_created")
    .on("runs")
    .columns(["trigger_type", "created_at"])
    .execute();
}
