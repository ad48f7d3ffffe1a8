import { type AuthSessionRow, withAuthTables } from "./auth-tables.js";
import type { Db } from "./types.js";

export async function insertSession(db: Db, row: AuthSessionRow): Promise<void> {
  await withAuthTables(db).insertInto("auth_sessions").values(row).execute();
}

/** A session that has not expired, by the hash of its id. */
export async function getSession(db: Db, idHash: string, now: number): Promise<AuthSessionRow | undefined> {
  return withAuthTables(db)
    .selectFrom("auth_sessions")
    .selectAll()
    .where("id_hash", "=", idHash)
    .where("expires_at", ">", now)
    .executeTakeFirst();
}

export async function deleteSession(db: Db, idHash: string): Promise<AuthSessionRow | undefined> {
  return withAuthTables(db)
    .deleteFrom("auth_sessions")
    .where("id_hash", "=", idHash)
    .returningAll()
    .executeTakeFirst();
}

/** Drops expired sessions and abandoned logins; returns how many sessions went. */
export async function deleteExpiredSessions(db: Db, now: number): Promise<number> {
  const adb = withAuthTables(db);
  await adb.deleteFrom("auth_logins").where("expires_at", "<=", now).execute();
  const result = await adb.deleteFrom("auth_sessions").where("expires_at", "<=", now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
