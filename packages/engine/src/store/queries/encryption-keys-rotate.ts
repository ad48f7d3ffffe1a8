import { withEncryptionKeyTables } from "./encryption-key-tables.js";
import type { Db } from "./types.js";

/**
 * Makes `fingerprint` the current key and retires the one before it, in the caller's transaction. A key
 * that was retired earlier becomes current again (a rotation back to it).
 */
export async function makeEncryptionKeyCurrent(db: Db, fingerprint: string, now: number): Promise<void> {
  const keys = withEncryptionKeyTables(db);
  await keys
    .updateTable("encryption_keys")
    .set({ retired_at: now })
    .where("retired_at", "is", null)
    .where("fingerprint", "!=", fingerprint)
    .execute();
  const updated = await keys
    .updateTable("encryption_keys")
    .set({ retired_at: null })
    .where("fingerprint", "=", fingerprint)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) {
    await keys
      .insertInto("encryption_keys")
      .values({ fingerprint, created_at: now, retired_at: null })
      .execute();
  }
}
