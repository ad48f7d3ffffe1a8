import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * An index on `runs.parent_run_id`: the sub-workflow sweep looks up, every reaper beat, the child run
 * each waiting step waits on, and the run page lists a run's children; without it each is a scan of
 * every `workflow_call` run ever kept.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.createIndex("runs_parent_run_id").on("runs").column("parent_run_id").execute();
}
