/** viewer reads; operator also starts, cancels and re-runs; admin also manages keys and settings. */
export type Role = "viewer" | "operator" | "admin";
export const ROLES: readonly Role[] = ["viewer", "operator", "admin"];
/**
 * An agent key's role: it may call only the agent routes (`/api/v1/agent/...`), and reaches none of
 * what the people's roles do, not even reading. Given to API keys only, never to people.
 */
export type KeyRole = Role | "agent";
export const KEY_ROLES: readonly KeyRole[] = [...ROLES, "agent"];
/** `agent` ranks below every role of people: a rule asking for one of theirs refuses agents. */
export const ROLE_RANK: Record<KeyRole, number> = { agent: 0, viewer: 1, operator: 2, admin: 3 };

export function isKeyRole(value: unknown): value is KeyRole {
  return typeof value === "string" && (KEY_ROLES as readonly string[]).includes(value);
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/**
 * Who is asking. `scope` limits the role to the workflows of one source (`source:<name>`) or one
 * folder of workflow files (`folder:<path>`); null means every workflow.
 */
export interface Principal {
  kind: "user" | "key" | "local";
  /** user:<subject>, key:<id> or local: what the audit log records. */
  id: string;
  name: string;
  role: KeyRole;
  scope: string | null;
  /** An agent key's labels: the jobs its agents may claim. */
  labels?: string[];
  email?: string | null;
  /** Set for cookie sessions: changes must echo it in X-CSRF-Token. */
  csrf?: string;
  /** The hash of the session id, for logout. */
  sessionHash?: string;
  /** The OIDC `groups` claim, which approvals may name. */
  groups?: string[];
}

export interface RoleMapping {
  /** A value of the role claim (for example a group name). */
  value: string;
  role: Role;
  scope?: string;
}

export interface OidcOptions {
  issuer: string;
  clientId: string;
  /** Already resolved from its secret reference; never logged. */
  clientSecret?: string;
  scopes: string[];
  /** The ID-token or userinfo claim that holds groups or roles (a string or a list). */
  roleClaim: string;
  roles: RoleMapping[];
  /** The role of people who match no mapping; undefined refuses them. */
  defaultRole?: Role;
}

/**
 * How a server authenticates:
 * - `local`: nobody is asked; every request acts as the single local admin. Only for a loopback
 *   address (the CLI refuses other addresses unless --insecure).
 * - `keys`: API keys only (`Authorization: Bearer …`).
 * - `oidc`: people sign in through the OpenID Provider (cookie sessions); API keys work too.
 */
export type AuthMode = "local" | "keys" | "oidc";

export interface AuthOptions {
  mode: AuthMode;
  oidc?: OidcOptions;
  /** How long a session lasts after sign-in (absolute, not sliding). Default 12 h. */
  sessionTtlMs: number;
  /** true / false, or "auto": Secure when the request came over https. */
  secureCookies: boolean | "auto";
  /** The URL browsers use to reach Gantry, for the OIDC redirect URI; default: from the request. */
  publicUrl?: string;
  /** Sign-in attempts per minute per client address (/auth/login and /auth/callback). */
  loginRateLimit: number;
  /** Webhook requests per minute per client address. */
  webhookRateLimit: number;
  /** Failed API-key checks per minute per client address; past it, 429 until the minute is over. */
  failedKeyLimit: number;
  /**
   * Local mode on a non-loopback address (`--insecure`): the Host header is not checked. Otherwise the
   * local mode answers only requests addressed to localhost/127.0.0.1/[::1] (against DNS rebinding).
   */
  insecure?: boolean;
}

export const DEFAULT_AUTH: AuthOptions = {
  mode: "local",
  sessionTtlMs: 12 * 3_600_000,
  secureCookies: "auto",
  loginRateLimit: 30,
  webhookRateLimit: 600,
  failedKeyLimit: 20,
};
