import { randomBytes, timingSafeEqual } from "node:crypto";
import { store } from "@gantry/engine";
import type { FastifyReply, FastifyRequest } from "fastify";
import { sha256, usableKey } from "./keys.js";
import type { AuthOptions, Principal, Role } from "./types.js";

/**
 * Sessions are server-side: the cookie holds 32 random bytes, the store holds only their SHA-256 and
 * the person's name, role and CSRF token. So logout and expiry take effect at once on every server,
 * and a stolen database yields no usable cookie.
 */
export const SESSION_COOKIE = "gantry_session";

/**
 * "auto": Secure when browsers reach Gantry over https: the request came over TLS, or public_url says
 * https (a TLS-terminating proxy in front sends plain http to Gantry).
 */
export function secureCookie(options: AuthOptions, request: FastifyRequest): boolean {
  if (options.secureCookies !== "auto") return options.secureCookies;
  return request.protocol === "https" || (options.publicUrl?.startsWith("https://") ?? false);
}

export interface SessionPerson {
  subject: string;
  name: string;
  email: string | null;
  role: Role;
  scope: string | null;
  idToken: string | null;
  groups: string[];
  /** Ends the session sooner than the configured lifetime (a key's own expiry). */
  expiresAt?: number | null;
}

/** The subject of a session signed in with an API key (the UI's key sign-in): `key:<id>`. */
const KEY_SUBJECT = "key:";

export function keySubject(keyId: string): string {
  return `${KEY_SUBJECT}${keyId}`;
}

/**
 * A sign-in's session: whatever session the browser had ends and the new one gets a new id and CSRF
 * token (no fixation). Sign-ins are rare: a good moment to drop expired sessions and abandoned sign-ins.
 */
export async function rotateSession(
  db: store.Db,
  options: AuthOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  person: SessionPerson,
  now: number,
): Promise<void> {
  await store.deleteExpiredSessions(db, now);
  const old = request.cookies[SESSION_COOKIE];
  if (old) await store.deleteSession(db, sha256(old));
  await startSession(db, options, request, reply, person, now);
}

/** A new session (a new id every sign-in: no fixation), its cookie set on the reply. */
export async function startSession(
  db: store.Db,
  options: AuthOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  person: SessionPerson,
  now: number,
): Promise<void> {
  const id = randomBytes(32).toString("base64url");
  const expiresAt = Math.min(now + options.sessionTtlMs, person.expiresAt ?? Number.POSITIVE_INFINITY);
  await store.insertSession(db, {
    id_hash: sha256(id),
    subject: person.subject,
    name: person.name,
    email: person.email,
    role: person.role,
    scope: person.scope,
    csrf: randomBytes(24).toString("base64url"),
    id_token: person.idToken,
    groups_json: JSON.stringify(person.groups),
    created_at: now,
    expires_at: expiresAt,
  });
  reply.setCookie(SESSION_COOKIE, id, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: secureCookie(options, request),
    maxAge: Math.floor((expiresAt - now) / 1000),
  });
}

export function clearSessionCookie(options: AuthOptions, request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: secureCookie(options, request),
  });
}

/** The person the session cookie names, if it is a live session. */
export async function sessionPrincipal(
  db: store.Db,
  request: FastifyRequest,
  now: number,
): Promise<Principal | undefined> {
  const id = request.cookies?.[SESSION_COOKIE];
  if (!id) return undefined;
  const row = await store.getSession(db, sha256(id), now);
  if (!row) return undefined;
  if (row.subject.startsWith(KEY_SUBJECT)) return keySessionPrincipal(db, row, now);
  return {
    kind: "user",
    id: `user:${row.subject}`,
    name: row.name,
    email: row.email,
    role: row.role as Role,
    scope: row.scope,
    csrf: row.csrf,
    sessionHash: row.id_hash,
    groups: store.decodeGroups(row),
  };
}

/**
 * A session signed in with an API key acts as that key, and only while the key is usable: revoking it
 * (or its expiry) ends the session at the next request, and its WebSockets at once (they are the key's).
 */
async function keySessionPrincipal(
  db: store.Db,
  row: store.AuthSessionRow,
  now: number,
): Promise<Principal | undefined> {
  const keyId = row.subject.slice(KEY_SUBJECT.length);
  const key = await store.findApiKeyById(db, keyId);
  if (!key || !usableKey(key, now)) return undefined;
  return {
    kind: "key",
    id: `key:${key.id}`,
    name: key.name,
    role: key.role as Role,
    scope: key.scope,
    csrf: row.csrf,
    sessionHash: row.id_hash,
  };
}

/** Compares the X-CSRF-Token header with the session's token in constant time. */
export function csrfMatches(request: FastifyRequest, expected: string): boolean {
  const sent = request.headers["x-csrf-token"];
  if (typeof sent !== "string") return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
