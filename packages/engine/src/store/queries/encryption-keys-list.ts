import { type EncryptionKeyRow, withEncryptionKeyTables } from "./encryption-key-tables.js";
import type { Db } from "./types.js";

/** Every recorded key fingerprint, the current one (not retired) first. */
export async function listEncryptionKeys(db: Db): Promise<EncryptionKeyRow[]> {
  const rows = await withEncryptionKeyTables(db)
    .selectFrom("encryption_keys")
    .selectAll()
    .orderBy("created_at", "desc")
    .execute();
  return [...rows.filter((r) => r.retired_at === null), ...rows.filter((r) => r.retired_at !== null)];
}
