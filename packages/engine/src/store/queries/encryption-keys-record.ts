import { withEncryptionKeyTables } from "./encryption-key-tables.js";
import type { Db } from "./types.js";

/**
 * Records `fingerprint` as the current key unless a current key is recorded already (the unique index
 * on the current key makes a second first start a no-op). Callers read the current key back.
 */
export async function recordFirstEncryptionKey(db: Db, fingerprint: string, now: number): Promise<void> {
  await withEncryptionKeyTables(db)
    .insertInto("encryption_keys")
    .values({ fingerprint, created_at: now, retired_at: null })
    .onConflict((oc) => oc.doNothing())
    .execute();
}
