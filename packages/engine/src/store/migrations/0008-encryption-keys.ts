import { type Kysely, sql } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * The deployment's encryption key, by fingerprint (never the key): the one that seals secret run inputs
 * now (`retired_at` null) and those a rotation retired. A process whose keys do not include the current
 * one refuses to start, so two processes can never seal with different keys. The partial unique index
 * allows one current key, so two first starts racing with different keys cannot both record theirs.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("encryption_keys")
    .addColumn("fingerprint", "text", (c) => c.primaryKey())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("retired_at", "bigint")
    .execute();
  await sql`create unique index encryption_keys_current on encryption_keys ((retired_at is null)) where retired_at is null`.execute(
    db,
  );
}
