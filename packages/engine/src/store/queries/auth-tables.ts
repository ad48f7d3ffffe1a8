import type { Generated, Kysely, Selectable, Transaction } from "kysely";
import type { Tables } from "../tables.js";
import type { Db } from "./types.js";

/** Authentication's tables (migration 0005), typed here so the store's shared `Tables` stays as it is. */
export interface ApiKeysTable {
  id: string;
  name: string;
  /** viewer | operator | admin | agent */
  role: string;
  /** null: every workflow; `source:<name>` or `folder:<path>`. */
  scope: string | null;
  /** SHA-256 (hex) of the key; the key itself is never stored. */
  hash: string;
  hint: string;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
  /** An agent key's labels (JSON list, migration 0021): its agents claim only jobs these match. */
  labels_json?: string | null;
}

export interface AuthSessionsTable {
  /** SHA-256 (hex) of the cookie's session id. */
  id_hash: string;
  subject: string;
  name: string;
  email: string | null;
  role: string;
  scope: string | null;
  csrf: string;
  id_token: string | null;
  created_at: number;
  expires_at: number;
  /** JSON list of the OIDC `groups` claim's values (migration 0013), for approvals; null before it. */
  groups_json?: string | null;
}

export interface AuthLoginsTable {
  state: string;
  code_verifier: string;
  nonce: string;
  return_to: string;
  expires_at: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  actor_name: string;
  action: string;
  target: string | null;
  detail_json: string | null;
  ip: string | null;
}

// A type alias, not an interface: withTables() wants an index signature, which only aliases imply.
export type AuthTables = {
  api_keys: ApiKeysTable;
  auth_sessions: AuthSessionsTable;
  auth_logins: AuthLoginsTable;
  audit_log: AuditLogTable;
};

export type ApiKeyRow = Selectable<ApiKeysTable>;
export type AuthSessionRow = Selectable<AuthSessionsTable>;
export type AuditRow = Selectable<AuditLogTable>;

type WithAuth = Kysely<Tables & AuthTables> | Transaction<Tables & AuthTables>;

/** The same database or transaction, with authentication's tables in its type. */
export function withAuthTables(db: Db): WithAuth {
  return db.withTables<AuthTables>();
}
