import { timingSafeEqual } from "node:crypto";
import { store } from "@gantry/engine";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ServerContext } from "../context.js";
import { RETURN_PATH_LENGTH } from "../routes/limits.js";
import { audit } from "./audit.js";
import { sameOrigin } from "./hook.js";
import { sha256, verifyApiKey } from "./keys.js";
import { OidcClient, roleFromClaims } from "./oidc.js";
import { openSocketsOf } from "./open-sockets.js";
import { clearSessionCookie, csrfMatches, keySubject, rotateSession, secureCookie } from "./sessions.js";
import { signInFailed } from "./signin-failure.js";
import type { AuthOptions, Role } from "./types.js";

/** A sign-in must come back from the IdP within this time. */
const LOGIN_TTL_MS = 10 * 60_000;
/**
 * Binds a sign-in to the browser that started it: set at /auth/login with the sign-in's state, and
 * required at /auth/callback. A callback URL someone else started (login CSRF: signing a victim in as
 * the attacker) arrives without it and is refused.
 */
export const LOGIN_COOKIE = "gantry_login";

/**
 * `/auth/login` → the IdP → `/auth/callback` → a new session cookie and back to `return_to`;
 * `POST /auth/key` (an API key pasted into the UI's sign-in page → a session acting as the key);
 * `POST /auth/logout`; `GET /auth/me` (who am I, and the CSRF token the UI sends with changes).
 */
export function authRoutes(app: FastifyInstance, ctx: ServerContext, options: AuthOptions): void {
  const db = ctx.service.database.db;
  const oidc = options.oidc ? new OidcClient(options.oidc) : undefined;
  const base = (request: FastifyRequest) =>
    (options.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/$/, "");
  const redirectUri = (request: FastifyRequest) => `${base(request)}/auth/callback`;

  app.get<{ Querystring: { return_to?: string } }>(
    "/auth/login",
    {
      schema: {
        summary: "Start signing in: redirects to the OpenID Provider",
        tags: ["auth"],
        querystring: {
          type: "object",
          properties: { return_to: { type: "string", maxLength: RETURN_PATH_LENGTH } },
        },
      },
    },
    async (request, reply) => {
      if (!oidc) return reply.code(404).send({ error: "OIDC sign-in is not configured (auth.oidc)" });
      const returnTo = safeReturnTo(request.query.return_to);
      let start: Awaited<ReturnType<OidcClient["start"]>>;
      try {
        start = await oidc.start(redirectUri(request));
      } catch (error) {
        ctx.onWarning?.(`OIDC discovery failed: ${(error as Error).message}`);
        return reply.code(502).send({
          error: `the identity provider ${options.oidc?.issuer} cannot be reached: ${(error as Error).message}`,
        });
      }
      await store.insertLogin(db, {
        state: start.state,
        code_verifier: start.verifier,
        nonce: start.nonce,
        return_to: returnTo,
        expires_at: ctx.service.now() + LOGIN_TTL_MS,
      });
      reply.setCookie(LOGIN_COOKIE, start.state, {
        path: "/auth/callback",
        httpOnly: true,
        // Lax: the cookie still comes with the IdP's top-level redirect back.
        sameSite: "lax",
        secure: secureCookie(options, request),
        maxAge: LOGIN_TTL_MS / 1000,
      });
      return reply.redirect(start.url, 302);
    },
  );

  app.get<{ Querystring: Record<string, string> }>(
    "/auth/callback",
    { schema: { summary: "Where the OpenID Provider sends the browser back", tags: ["auth"] } },
    async (request, reply) => {
      if (!oidc || !options.oidc) return reply.code(404).send({ error: "OIDC sign-in is not configured" });
      const now = ctx.service.now();
      const { state, error, error_description } = request.query;
      const bound = request.cookies[LOGIN_COOKIE];
      if (!state || !bound || !sameText(bound, state)) {
        return signInFailed(
          ctx,
          request,
          reply,
          400,
          "this sign-in state was not started in this browser (or its cookie expired); start again at /auth/login",
        );
      }
      reply.clearCookie(LOGIN_COOKIE, { path: "/auth/callback" });
      const pending = await store.takeLogin(db, state, now);
      if (!pending)
        return signInFailed(
          ctx,
          request,
          reply,
          400,
          "unknown, used or expired sign-in state; start again at /auth/login",
        );
      if (error)
        return signInFailed(
          ctx,
          request,
          reply,
          401,
          `refused by the identity provider: ${error_description ?? error}`,
        );
      const url = new URL(redirectUri(request));
      url.search = new URL(request.url, "http://x").search;
      let result: Awaited<ReturnType<OidcClient["finish"]>>;
      try {
        result = await oidc.finish(url, {
          state: pending.state,
          nonce: pending.nonce,
          verifier: pending.code_verifier,
        });
      } catch (err) {
        return signInFailed(ctx, request, reply, 401, (err as Error).message);
      }
      const { claims } = result;
      const subject = String(claims.sub);
      const name = String(claims.name ?? claims.preferred_username ?? claims.email ?? subject);
      const granted = roleFromClaims(options.oidc, claims);
      if (!granted) {
        await audit(
          ctx,
          request,
          { kind: "user", id: `user:${subject}`, name, role: "viewer", scope: null },
          "auth.refused",
          null,
          {
            reason: `no role for claim ${options.oidc.roleClaim}`,
          },
        );
        return signInFailed(
          ctx,
          request,
          reply,
          403,
          `${name} has no Gantry role: no value of the '${options.oidc.roleClaim}' claim is mapped to one`,
        );
      }
      await rotateSession(
        db,
        options,
        request,
        reply,
        {
          subject,
          name,
          email: typeof claims.email === "string" ? claims.email : null,
          role: granted.role,
          scope: granted.scope,
          idToken: result.idToken ?? null,
          groups: groupsOf(claims.groups),
        },
        now,
      );
      await audit(
        ctx,
        request,
        { kind: "user", id: `user:${subject}`, name, ...granted },
        "auth.login",
        null,
        {
          role: granted.role,
          ...(granted.scope ? { scope: granted.scope } : {}),
        },
      );
      return reply.redirect(pending.return_to, 302);
    },
  );

  app.post<{ Body: { key: string } }>(
    "/auth/key",
    {
      schema: {
        summary: "Sign the browser in with an API key: a session that acts as the key while it is valid",
        tags: ["auth"],
        body: {
          type: "object",
          properties: { key: { type: "string", minLength: 1, maxLength: 200 } },
          required: ["key"],
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      if (options.mode === "local")
        return reply.code(404).send({ error: "this server asks for no sign-in (auth mode local)" });
      // Login CSRF: another site's page must not sign this browser in with the attacker's key.
      if (!sameOrigin(request))
        return reply.code(403).send({ error: "cross-site sign-in refused (its Origin is not this server)" });
      const now = ctx.service.now();
      const key = await verifyApiKey(db, request.body.key.trim(), now);
      if (!key) {
        await audit(ctx, request, undefined, "auth.refused", null, { reason: "invalid API key sign-in" });
        return reply.code(401).send({ error: "invalid, expired or revoked API key" });
      }
      await rotateSession(
        db,
        options,
        request,
        reply,
        {
          subject: keySubject(key.id),
          name: key.name,
          email: null,
          role: key.role as Role,
          scope: key.scope,
          idToken: null,
          groups: [],
          expiresAt: key.expires_at === null ? null : Number(key.expires_at),
        },
        now,
      );
      const principal = {
        kind: "key" as const,
        id: `key:${key.id}`,
        name: key.name,
        role: key.role as Role,
        scope: key.scope,
      };
      await audit(ctx, request, principal, "auth.login", null, { method: "api-key", role: key.role });
      return { authenticated: true, name: key.name, role: key.role };
    },
  );

  app.post(
    "/auth/logout",
    {
      schema: {
        summary: "Sign out: ends the session; answers the IdP's logout URL when it has one",
        tags: ["auth"],
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (principal?.sessionHash && principal.csrf) {
        if (!csrfMatches(request, principal.csrf))
          return reply
            .code(403)
            .send({ error: "missing or wrong X-CSRF-Token header (get it from GET /auth/me)" });
        const row = await store.deleteSession(db, principal.sessionHash);
        openSocketsOf(ctx).closeAll(`session:${principal.sessionHash}`, "signed out");
        await audit(ctx, request, principal, "auth.logout", null);
        clearSessionCookie(options, request, reply);
        const logoutUrl = oidc
          ? await oidc.endSessionUrl(row?.id_token ?? null, `${base(request)}/`)
          : undefined;
        return { logged_out: true, logout_url: logoutUrl ?? null };
      }
      clearSessionCookie(options, request, reply);
      return { logged_out: false, logout_url: null };
    },
  );

  app.get(
    "/auth/me",
    { schema: { summary: "Who am I: name, role, scope and how I signed in", tags: ["auth"] } },
    async (request, reply) => {
      const p = request.principal;
      if (!p) {
        return reply.code(401).send({
          error: "not signed in",
          authenticated: false,
          auth_mode: options.mode,
          login_url: options.mode === "oidc" ? "/auth/login" : null,
          key_login_url: options.mode === "local" ? null : "/auth/key",
        });
      }
      return {
        authenticated: true,
        kind: p.kind,
        id: p.id,
        name: p.name,
        email: p.email ?? null,
        role: p.role,
        scope: p.scope,
        groups: p.groups ?? [],
        auth_mode: options.mode,
        csrf_token: p.csrf ?? null,
        login_url: options.mode === "oidc" ? "/auth/login" : null,
        key_login_url: options.mode === "local" ? null : "/auth/key",
      };
    },
  );
}

/** Only a path on this server: `//evil.example` and absolute URLs would make an open redirect. */
function safeReturnTo(value: string | undefined): string {
  if (!value?.startsWith("/") || value.startsWith("//") || value.includes("\\")) return "/";
  return value;
}

/** Constant-time comparison of two strings. */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(sha256(a));
  const y = Buffer.from(sha256(b));
  return timingSafeEqual(x, y);
}

/** The `groups` claim as a list of names (a string, a list, or absent); at most 200, for the session row. */
function groupsOf(claim: unknown): string[] {
  const list = Array.isArray(claim) ? claim : typeof claim === "string" ? [claim] : [];
  return list.filter((g): g is string => typeof g === "string").slice(0, 200);
}
