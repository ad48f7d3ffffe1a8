import { createHash, randomBytes, randomUUID } from "node:crypto";
import { store } from "@gantry/engine";
import { checkScope } from "./scope.js";
import { isKeyRole, KEY_ROLES, type KeyRole } from "./types.js";

type Db = store.Db;

/** Keys start with this, so secret scanners (and people) recognise a leaked one. */
export const KEY_PREFIX = "gantry_";

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A label as runner.labels writes it: letters, digits and `._:/-`, at most 100 characters. */
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/;

export interface NewKey {
  name: string;
  role: KeyRole;
  /** An agent key's labels: the jobs its agents may claim. Only for the agent role. */
  labels?: string[];
  scope?: string | null;
  expiresAt?: number | null;
  createdBy: string;
}

export interface KeyView {
  id: string;
  name: string;
  role: KeyRole;
  /** An agent key's labels; empty for the other roles. */
  labels: string[];
  scope: string | null;
  hint: string;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  /** active | expired | revoked */
  state: "active" | "expired" | "revoked";
}

/**
 * Creates an API key and returns it in clear together with its record: the only time the key exists
 * outside the caller's hands. 32 random bytes (256 bits) make a plain SHA-256 a safe thing to store.
 */
export async function createApiKey(
  db: Db,
  input: NewKey,
  now: number,
): Promise<{ key: string; view: KeyView }> {
  if (!isKeyRole(input.role)) throw new Error(`role '${input.role}' must be one of ${KEY_ROLES.join(", ")}`);
  const labels = input.labels ?? [];
  if (labels.length > 0 && input.role !== "agent")
    throw new Error("labels are for agent keys only (--role agent)");
  if (labels.length > 50) throw new Error("labels: at most 50");
  for (const label of labels)
    if (!LABEL.test(label) || label.startsWith("runner:"))
      throw new Error(
        `label '${label.slice(0, 120)}' must be letters, digits and ._:/- (at most 100 characters), not runner:<type> (an agent offers its runner types itself)`,
      );
  if (input.role === "agent" && input.scope)
    throw new Error("an agent key has no scope: its labels limit it");
  const name = input.name.trim();
  if (!name || name.length > 100) throw new Error("name must be 1 to 100 characters");
  const scope = input.scope ? checkScope(input.scope, "scope") : null;
  if (input.expiresAt != null && input.expiresAt <= now) throw new Error("expiry must be in the future");
  const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  const row = {
    id: randomUUID(),
    name,
    role: input.role,
    scope,
    hash: sha256(key),
    hint: `${key.slice(0, KEY_PREFIX.length + 4)}…`,
    created_by: input.createdBy,
    created_at: now,
    expires_at: input.expiresAt ?? null,
    last_used_at: null,
    revoked_at: null,
    labels_json: input.role === "agent" ? JSON.stringify([...new Set(labels)]) : null,
  };
  await store.insertApiKey(db, row);
  return { key, view: keyView(row, now) };
}

export function keyView(row: store.ApiKeyRow, now: number): KeyView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
  return {
    id: row.id,
    name: row.name,
    role: row.role as KeyRole,
    labels: store.decodeKeyLabels(row),
    scope: row.scope,
    hint: row.hint,
    created_by: row.created_by,
    created_at: new Date(Number(row.created_at)).toISOString(),
    expires_at: iso(row.expires_at),
    last_used_at: iso(row.last_used_at),
    revoked_at: iso(row.revoked_at),
    state:
      row.revoked_at !== null
        ? "revoked"
        : row.expires_at !== null && Number(row.expires_at) <= now
          ? "expired"
          : "active",
  };
}

/** The live key a bearer token names, or undefined (unknown, revoked or expired: callers can't tell). */
export async function verifyApiKey(db: Db, token: string, now: number): Promise<store.ApiKeyRow | undefined> {
  if (!token.startsWith(KEY_PREFIX)) return undefined;
  const row = await store.findApiKeyByHash(db, sha256(token));
  return row && usableKey(row, now) ? row : undefined;
}

/** Neither revoked nor expired. */
export function usableKey(row: store.ApiKeyRow, now: number): boolean {
  return row.revoked_at === null && (row.expires_at === null || Number(row.expires_at) > now);
}
