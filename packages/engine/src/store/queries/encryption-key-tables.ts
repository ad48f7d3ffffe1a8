import type { Kysely, Selectable, Transaction } from "kysely";
import type { Tables } from "../tables.js";
import type { Db } from "./types.js";

/** The encryption keys' table (migration 0008), typed here so the store's shared `Tables` stays as it is. */
export interface EncryptionKeysTable {
  /** keyFingerprint() of the key, hex. */
  fingerprint: string;
  created_at: number;
  /** When a rotation replaced it; null for the current key. */
  retired_at: number | null;
}

export type EncryptionKeyTables = { encryption_keys: EncryptionKeysTable };
export type EncryptionKeyRow = Selectable<EncryptionKeysTable>;

type WithKeys = Kysely<Tables & EncryptionKeyTables> | Transaction<Tables & EncryptionKeyTables>;

/** The same database or transaction, with the encryption keys' table in its type. */
export function withEncryptionKeyTables(db: Db): WithKeys {
  return db.withTables<EncryptionKeyTables>();
}
