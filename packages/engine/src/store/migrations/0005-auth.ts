import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * Authentication's tables. Nothing here is a usable credential: API keys and session ids are stored as
 * their SHA-256 (both are 256-bit random strings, so a plain hash is enough; no slow KDF is needed for
 * values nobody can guess). `auth_logins` holds an OIDC login between /auth/login and /auth/callback
 * (state, PKCE verifier, nonce) so that any server behind a load balancer can finish it.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("api_keys")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("scope", "text")
    .addColumn("hash", "text", (c) => c.notNull().unique())
    /** The key's first characters, to recognise it in a list ("gantry_k3Xa…"). */
    .addColumn("hint", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint")
    .addColumn("last_used_at", "bigint")
    .addColumn("revoked_at", "bigint")
    .execute();

  await db.schema
    .createTable("auth_sessions")
    .addColumn("id_hash", "text", (c) => c.primaryKey())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("email", "text")
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("scope", "text")
    /** The synchronizer token a cookie-authenticated change must echo in X-CSRF-Token. */
    .addColumn("csrf", "text", (c) => c.notNull())
    /** The IdP's id_token, for RP-initiated logout (id_token_hint). */
    .addColumn("id_token", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("auth_sessions_expires").on("auth_sessions").columns(["expires_at"]).execute();

  await db.schema
    .createTable("auth_logins")
    .addColumn("state", "text", (c) => c.primaryKey())
    .addColumn("code_verifier", "text", (c) => c.notNull())
    .addColumn("nonce", "text", (c) => c.notNull())
    .addColumn("return_to", "text", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("audit_log")
    .addColumn("id", dialect === "postgres" ? "bigserial" : "integer", (c) =>
      dialect === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn("at", "bigint", (c) => c.notNull())
    /** user:<subject> | key:<id> | local */
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("actor_name", "text", (c) => c.notNull())
    /** run.start | run.cancel | run.rerun | key.create | key.revoke | auth.login | auth.logout | … */
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("target", "text")
    .addColumn("detail_json", "text")
    .addColumn("ip", "text")
    .execute();
  await db.schema.createIndex("audit_log_at").on("audit_log").columns(["at"]).execute();
}
