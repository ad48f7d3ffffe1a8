import { withScheduleTables } from "./schedule-tables.js";
import type { Db } from "./types.js";

/**
 * Takes or renews a lease in one atomic statement: the row is written only when it is free, expired,
 * or already ours. Returns the lease as it stands afterwards, whoever holds it.
 */
export async function acquireLease(
  db: Db,
  name: string,
  holder: string,
  now: number,
  expiresAt: number,
): Promise<{ holder: string; expires_at: number }> {
  const sdb = withScheduleTables(db);
  const taken = await sdb
    .insertInto("leases")
    .values({ name, holder, expires_at: expiresAt })
    .onConflict((oc) =>
      oc
        .column("name")
        .doUpdateSet({ holder, expires_at: expiresAt })
        .where((eb) => eb.or([eb("leases.expires_at", "<=", now), eb("leases.holder", "=", holder)])),
    )
    .returning(["holder", "expires_at"])
    .executeTakeFirst();
  if (taken) return { holder: taken.holder, expires_at: Number(taken.expires_at) };
  const current = await sdb
    .selectFrom("leases")
    .select(["holder", "expires_at"])
    .where("name", "=", name)
    .executeTakeFirstOrThrow();
  return { holder: current.holder, expires_at: Number(current.expires_at) };
}
