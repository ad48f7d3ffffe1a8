import { sql } from "kysely";
import type { Dialect } from "../store/database.js";
import type { Db } from "../store/queries/types.js";

/** The advisory-lock key space of concurrency groups ("gant"), apart from any other user of such locks. */
const GROUP_LOCK_SPACE = 0x67616e74;

/**
 * Serialises the decisions about one concurrency group (start, wait, skip, start the next one) across
 * processes, until the transaction ends. Without it, on PostgreSQL, runs created at the same moment all
 * see the group idle and all start, and a run that ends misses the one queued behind it meanwhile.
 * Always taken before any run row lock, so it cannot deadlock with one. SQLite has a single writer,
 * which serialises these transactions already.
 */
export async function lockGroup(tx: Db, dialect: Dialect, group: string): Promise<void> {
  if (dialect !== "postgres") return;
  await sql`select pg_advisory_xact_lock(${GROUP_LOCK_SPACE}, hashtext(${group}))`.execute(tx);
}

/**
 * A run's concurrency group, read without locking the run (the column never changes), so that the group
 * can be locked first. Null on SQLite, where no group lock is needed.
 */
export async function groupToLock(tx: Db, dialect: Dialect, runId: string): Promise<string | null> {
  if (dialect !== "postgres") return null;
  const row = await tx
    .selectFrom("runs")
    .select("concurrency_group")
    .where("id", "=", runId)
    .executeTakeFirst();
  return row?.concurrency_group ?? null;
}
