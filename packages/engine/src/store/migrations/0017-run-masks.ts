import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * `runs.masked_values`: the values a run's steps registered with `::add-mask::`, sealed with the store's
 * encryption key (a JSON array inside), so every later step of the run masks them too, on any worker.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable("runs").addColumn("masked_values", "text").execute();
}
