import type * as Client from "openid-client";
import { type OidcOptions, ROLE_RANK, type Role } from "./types.js";

/**
 * The relying party: discovery once (retried on the next sign-in when the IdP was down), then the
 * authorization-code flow with PKCE (S256), state and nonce. openid-client is loaded on first use so
 * a server without OIDC never loads it.
 */
export class OidcClient {
  private config: Promise<Client.Configuration> | undefined;
  private lib: Promise<typeof Client> | undefined;

  constructor(private readonly options: OidcOptions) {}

  private client(): Promise<typeof Client> {
    this.lib ??= import("openid-client");
    return this.lib;
  }

  private configuration(): Promise<Client.Configuration> {
    if (!this.config) {
      this.config = (async () => {
        const client = await this.client();
        const issuer = new URL(this.options.issuer);
        // Plain http only for an IdP on this machine (tests, a local Dex); anything else needs https.
        const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(issuer.hostname);
        return client.discovery(
          issuer,
          this.options.clientId,
          this.options.clientSecret,
          undefined,
          issuer.protocol === "http:" && loopback ? { execute: [client.allowInsecureRequests] } : undefined,
        );
      })();
      this.config.catch(() => {
        this.config = undefined;
      });
    }
    return this.config;
  }

  /** Where to send the browser, and what the callback must check. */
  async start(redirectUri: string): Promise<{ url: string; state: string; nonce: string; verifier: string }> {
    const client = await this.client();
    const config = await this.configuration();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.options.scopes.join(" "),
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });
    return { url: url.href, state, nonce, verifier };
  }

  /**
   * Exchanges the code (checking state, nonce, PKCE and the ID token) and returns the person's claims:
   * the ID token's, plus userinfo's when the IdP has that endpoint (many IdPs put groups only there).
   */
  async finish(
    callbackUrl: URL,
    checks: { state: string; nonce: string; verifier: string },
  ): Promise<{ claims: Record<string, unknown>; idToken: string | undefined }> {
    const client = await this.client();
    const config = await this.configuration();
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: checks.verifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    const idClaims = (tokens.claims() ?? {}) as Record<string, unknown>;
    let claims: Record<string, unknown> = { ...idClaims };
    if (config.serverMetadata().userinfo_endpoint && typeof idClaims.sub === "string") {
      const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      claims = { ...info, ...idClaims };
    }
    return { claims, idToken: tokens.id_token };
  }

  /** The IdP's logout URL (RP-initiated logout), when it has one. */
  async endSessionUrl(idToken: string | null, postLogoutRedirectUri: string): Promise<string | undefined> {
    try {
      const client = await this.client();
      const config = await this.configuration();
      if (!config.serverMetadata().end_session_endpoint) return undefined;
      return client.buildEndSessionUrl(config, {
        post_logout_redirect_uri: postLogoutRedirectUri,
        ...(idToken ? { id_token_hint: idToken } : {}),
      }).href;
    } catch {
      return undefined;
    }
  }
}

/**
 * The role a person gets: the highest role among the mappings their role claim matches (an unscoped
 * mapping beats a scoped one of the same role); the default role when none matches; undefined refuses.
 */
export function roleFromClaims(
  options: Pick<OidcOptions, "roleClaim" | "roles" | "defaultRole">,
  claims: Record<string, unknown>,
): { role: Role; scope: string | null } | undefined {
  const raw = claimAt(claims, options.roleClaim);
  const values = new Set((Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String));
  let best: { role: Role; scope: string | null } | undefined;
  for (const m of options.roles) {
    if (!values.has(m.value)) continue;
    const candidate = { role: m.role, scope: m.scope ?? null };
    if (
      !best ||
      ROLE_RANK[candidate.role] > ROLE_RANK[best.role] ||
      (ROLE_RANK[candidate.role] === ROLE_RANK[best.role] && best.scope !== null && candidate.scope === null)
    )
      best = candidate;
  }
  if (best) return best;
  return options.defaultRole ? { role: options.defaultRole, scope: null } : undefined;
}

/** `groups` or a dotted path (`realm_access.roles`, as Keycloak nests them). */
function claimAt(claims: Record<string, unknown>, path: string): unknown {
  let value: unknown = claims;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
