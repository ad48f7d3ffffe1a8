import { withAuthTables } from "./auth-tables.js";
import type { Db } from "./types.js";

/**
 * Revokes a key by id, or by name when no id matches. Returns the revoked key's id and name, or
 * undefined when no live key matched (already revoked keys keep their first revocation time).
 */
export async function revokeApiKey(
  db: Db,
  idOrName: string,
  now: number,
): Promise<{ id: string; name: string } | undefined> {
  const adb = withAuthTables(db);
  const live = await adb
    .selectFrom("api_keys")
    .select(["id", "name"])
    .where((eb) => eb.or([eb("id", "=", idOrName), eb("name", "=", idOrName)]))
    .where("revoked_at", "is", null)
    .execute();
  const match = live.find((k) => k.id === idOrName) ?? (live.length === 1 ? live[0] : undefined);
  if (!match) return undefined;
  await adb.updateTable("api_keys").set({ revoked_at: now }).where("id", "=", match.id).execute();
  return match;
}

/** Live keys with this name: more than one makes revoking by name ambiguous. */
export async function countLiveKeysNamed(db: Db, name: string): Promise<number> {
  const row = await withAuthTables(db)
    .selectFrom("api_keys")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("name", "=", name)
    .where("revoked_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
