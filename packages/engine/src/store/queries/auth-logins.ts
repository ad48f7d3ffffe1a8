import { withAuthTables } from "./auth-tables.js";
import type { Db } from "./types.js";

export interface PendingLogin {
  state: string;
  code_verifier: string;
  nonce: string;
  return_to: string;
  expires_at: number;
}

export async function insertLogin(db: Db, row: PendingLogin): Promise<void> {
  await withAuthTables(db).insertInto("auth_logins").values(row).execute();
}

/**
 * Takes a pending login by its state: deleted in the same statement, so a state is used at most once
 * (a replayed callback finds nothing). Expired logins are not returned.
 */
export async function takeLogin(db: Db, state: string, now: number): Promise<PendingLogin | undefined> {
  const row = await withAuthTables(db)
    .deleteFrom("auth_logins")
    .where("state", "=", state)
    .returningAll()
    .executeTakeFirst();
  return row && row.expires_at > now ? row : undefined;
}
