import { DURATION_PATTERN, parseDuration } from "@gantry/core";
import { type AuthOptions, checkScope, DEFAULT_AUTH, ROLES, type Role } from "@gantry/server/auth-model";
import { UsageError } from "../errors.js";

export type { AuthOptions };

/**
 * The `auth:` section of gantry.yaml:
 *
 * ```yaml
 * auth:
 *   required: true                 # or GANTRY_AUTH_REQUIRED=true; implied by oidc
 *   session_ttl: 12h
 *   secure_cookies: auto           # auto: Secure when the request came over https
 *   public_url: https://gantry.example.com   # for the OIDC redirect URI (default: from the request)
 *   rate_limits: {login: 30, webhooks: 600, failed_keys: 20}  # per minute per client address
 *   oidc:
 *     issuer: https://id.example.com
 *     client_id: gantry
 *     client_secret: ref+env://GANTRY_OIDC_SECRET
 *     scopes: [openid, profile, email, groups]
 *     role_claim: groups            # or a dotted path: realm_access.roles
 *     roles:
 *       - {value: gantry-admins, role: admin}
 *       - {value: deployers, role: operator, scope: "source:infra"}
 *     default_role: viewer          # omitted: people matching no mapping are refused
 * ```
 */
export const authSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    required: { type: "boolean" },
    session_ttl: { type: "string", pattern: DURATION_PATTERN, description: "e.g. 12h" },
    secure_cookies: { enum: ["auto", true, false] },
    public_url: { type: "string", pattern: "^https?://" },
    rate_limits: {
      type: "object",
      additionalProperties: false,
      properties: {
        login: { type: "integer", minimum: 1 },
        webhooks: { type: "integer", minimum: 1 },
        failed_keys: { type: "integer", minimum: 1 },
      },
    },
    oidc: {
      type: "object",
      additionalProperties: false,
      required: ["issuer", "client_id"],
      properties: {
        issuer: { type: "string", pattern: "^https?://" },
        client_id: { type: "string", pattern: "\\S" },
        client_secret: {
          type: "string",
          description: "a secret reference, e.g. ref+env://GANTRY_OIDC_SECRET",
        },
        scopes: { type: "array", items: { type: "string" } },
        role_claim: { type: "string", pattern: "\\S" },
        roles: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: false,
            required: ["value", "role"],
            properties: {
              value: { type: "string" },
              role: { enum: [...ROLES] },
              scope: { type: "string", pattern: "^(source|folder):.+" },
            },
          },
        },
        default_role: { enum: [...ROLES] },
      },
    },
  },
} as const;

export interface FileAuth {
  required?: boolean;
  session_ttl?: string;
  secure_cookies?: "auto" | boolean;
  public_url?: string;
  rate_limits?: { login?: number; webhooks?: number; failed_keys?: number };
  oidc?: {
    issuer: string;
    client_id: string;
    client_secret?: string;
    scopes?: string[];
    role_claim?: string;
    roles?: Array<{ value: string; role: Role; scope?: string }>;
    default_role?: Role;
  };
}

/** Compiles the section (its references already resolved) and GANTRY_AUTH_REQUIRED into AuthOptions. */
export function authOptionsOf(file: FileAuth | undefined, env: NodeJS.ProcessEnv): AuthOptions {
  const requiredEnv = env.GANTRY_AUTH_REQUIRED;
  if (requiredEnv !== undefined && !["true", "false", "1", "0"].includes(requiredEnv)) {
    throw new UsageError(`GANTRY_AUTH_REQUIRED '${requiredEnv}': must be true or false`);
  }
  const required =
    requiredEnv !== undefined ? requiredEnv === "true" || requiredEnv === "1" : (file?.required ?? false);
  const oidc = file?.oidc;
  if (oidc && required === false && (file?.required === false || requiredEnv !== undefined)) {
    // OIDC always means authentication; saying otherwise is a mistake worth stopping for.
    throw new UsageError(
      "auth.required: false contradicts auth.oidc: with OIDC configured, sign-in is always required",
    );
  }
  const options: AuthOptions = {
    ...DEFAULT_AUTH,
    mode: oidc ? "oidc" : required ? "keys" : "local",
    ...(file?.session_ttl ? { sessionTtlMs: parseDuration(file.session_ttl) } : {}),
    ...(file?.secure_cookies !== undefined ? { secureCookies: file.secure_cookies } : {}),
    ...(file?.public_url ? { publicUrl: file.public_url } : {}),
    ...(file?.rate_limits?.login ? { loginRateLimit: file.rate_limits.login } : {}),
    ...(file?.rate_limits?.webhooks ? { webhookRateLimit: file.rate_limits.webhooks } : {}),
    ...(file?.rate_limits?.failed_keys ? { failedKeyLimit: file.rate_limits.failed_keys } : {}),
  };
  if (oidc) {
    (oidc.roles ?? []).forEach((r, i) => {
      if (r.scope) checkScope(r.scope, `auth.oidc.roles[${i}].scope`);
    });
    if (!oidc.roles?.length && !oidc.default_role) {
      throw new UsageError(
        "auth.oidc: set roles (claim values mapped to viewer, operator or admin) or default_role, or nobody can sign in",
      );
    }
    options.oidc = {
      issuer: oidc.issuer,
      clientId: oidc.client_id,
      ...(oidc.client_secret ? { clientSecret: oidc.client_secret } : {}),
      scopes: oidc.scopes ?? ["openid", "profile", "email"],
      roleClaim: oidc.role_claim ?? "groups",
      roles: (oidc.roles ?? []).map((r) => ({
        value: r.value,
        role: r.role,
        ...(r.scope ? { scope: r.scope } : {}),
      })),
      ...(oidc.default_role ? { defaultRole: oidc.default_role } : {}),
    };
  }
  return options;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|\[::1\])$/;

/**
 * Safe defaults: without authentication Gantry is a single-user tool and serves only this machine.
 * Another address needs auth, or --insecure to say the network is trusted. Returns the line to print.
 */
export function checkExposure(options: AuthOptions, host: string, insecure: boolean): string {
  if (options.mode !== "local") {
    return options.mode === "oidc"
      ? `authentication: OIDC sign-in (${options.oidc?.issuer}) and API keys`
      : "authentication: API keys (Authorization: Bearer …; create one with gantry keys create)";
  }
  if (LOOPBACK.test(host)) {
    return `local single-user mode: no sign-in, and only this machine can connect (${host}); configure auth: in gantry.yaml to serve others`;
  }
  if (!insecure) {
    throw new UsageError(
      `refusing to listen on ${host} without authentication: anyone who can reach it could run commands here. ` +
        "Configure auth.oidc or auth.required: true (GANTRY_AUTH_REQUIRED=true) with API keys, " +
        "listen on 127.0.0.1, or pass --insecure if this network is trusted",
    );
  }
  return `WARNING: --insecure: listening on ${host} with NO authentication; everyone who can reach it is admin`;
}
