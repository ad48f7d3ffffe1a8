import { store } from "@gantry/engine";
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from "fastify";
import type { ServerContext } from "../context.js";
import { audit, auditEntry } from "./audit.js";
import { KEY_PREFIX, verifyApiKey } from "./keys.js";
import { FailureDelay, RateLimiter } from "./rate-limit.js";
import { type Rule, ruleFor } from "./rules.js";
import { inScope } from "./scope.js";
import { csrfMatches, sessionPrincipal } from "./sessions.js";
import { type AuthOptions, DEFAULT_AUTH, type Principal, ROLE_RANK } from "./types.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Who is asking; undefined on a public route called without credentials. */
    principal: Principal | undefined;
    /** Its audit entry was written with what it did (see auditWith): its answer writes none. */
    audited: boolean;
  }
}

/** The single local user of `gantry up` without authentication. */
export const LOCAL_PRINCIPAL: Principal = {
  kind: "local",
  id: "local",
  name: "local",
  role: "admin",
  scope: null,
};

/** Records a key's last use at most once a minute: a busy script must not write on every request. */
const KEY_TOUCH_GRANULARITY_MS = 60_000;
/** Rules applied to a route nobody declared: admins only (fail closed), and rules.test.ts fails. */
const UNDECLARED: Rule = { access: "admin" };
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

const REGISTERED = new WeakMap<FastifyInstance, AuthHook["routes"]>();

/** Every route of an app built by buildApp, as the onRoute hook saw them (HEAD included). */
export function registeredRoutes(app: FastifyInstance): AuthHook["routes"] {
  return REGISTERED.get(app) ?? [];
}

export interface AuthHook {
  options: AuthOptions;
  /**
   * Every route registered after the hook, as `METHOD url` with its schema: what rules.test.ts walks, and
   * input-limits.test.ts, which checks that every input the schema takes has a size limit.
   */
  routes: Array<{ method: string; url: string; schema?: FastifySchema }>;
}

/**
 * One onRequest hook decides every request: find the route's rule in the central table, identify the
 * caller (API key, session cookie, or the local user), check the role, the CSRF token of cookie
 * changes, the Origin of cookie WebSockets, and the scope. Lists are filtered to the scope before
 * serialisation; audited routes are recorded once they answer 2xx.
 */
export function registerAuthHook(app: FastifyInstance, ctx: ServerContext): AuthHook {
  const options = ctx.auth ?? DEFAULT_AUTH;
  const routes: AuthHook["routes"] = [];
  const loginLimiter = new RateLimiter(options.loginRateLimit);
  const webhookLimiter = new RateLimiter(options.webhookRateLimit);
  const failures = new FailureDelay();
  const failedKeys = new RateLimiter(options.failedKeyLimit ?? DEFAULT_AUTH.failedKeyLimit);
  const db = ctx.service.database.db;
  REGISTERED.set(app, routes);

  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat())
      routes.push({ method, url: route.url, ...(route.schema ? { schema: route.schema } : {}) });
  });
  app.decorateRequest("principal", undefined);
  app.decorateRequest("audited", false);

  const ruleOf = (request: FastifyRequest): Rule | undefined => {
    const url = request.routeOptions.url;
    if (url === undefined) return undefined; // no route matched: Fastify answers 404
    return ruleFor(request.method, url) ?? UNDECLARED;
  };

  app.addHook("onRequest", async (request, reply) => {
    const rule = ruleOf(request);
    if (!rule) return;
    const now = ctx.service.now();

    if (rule.limit) {
      const limiter = rule.limit === "login" ? loginLimiter : webhookLimiter;
      const wait = limiter.take(request.ip, now);
      if (wait > 0) {
        return reply
          .code(429)
          .header("retry-after", String(wait))
          .send({ error: `too many requests from ${request.ip}; retry in ${wait} s` });
      }
    }

    const auth = request.headers.authorization;
    const token = auth === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    // On open routes only Gantry's own keys count: a webhook sender's Authorization header is its business.
    const checkKey =
      auth !== undefined && (rule.access !== "public" || token?.startsWith(KEY_PREFIX) === true);
    let principal: Principal | undefined;
    if (checkKey) {
      // An address that failed too often this minute is not even checked: guessing keys stops here.
      const wait = failedKeys.blocked(request.ip, now);
      if (wait > 0) {
        return reply
          .code(429)
          .header("retry-after", String(wait))
          .send({ error: `too many failed API-key checks from ${request.ip}; retry in ${wait} s` });
      }
      const key = token ? await verifyApiKey(db, token, now) : undefined;
      if (!key) {
        failedKeys.take(request.ip, now);
        await new Promise((resolve) => setTimeout(resolve, failures.delayMs(request.ip, now)));
        return reply
          .code(401)
          .send({ error: "invalid, expired or revoked API key (Authorization: Bearer <key>)" });
      }
      // The row is at hand: write only when the recorded use is older than a minute.
      if (key.last_used_at === null || now - Number(key.last_used_at) >= KEY_TOUCH_GRANULARITY_MS)
        await store.touchApiKey(db, key.id, now, KEY_TOUCH_GRANULARITY_MS);
      principal = {
        kind: "key",
        id: `key:${key.id}`,
        name: key.name,
        role: key.role as Principal["role"],
        scope: key.scope,
        ...(key.role === "agent" ? { labels: store.decodeKeyLabels(key) } : {}),
      };
    } else {
      principal = await sessionPrincipal(db, request, now);
      if (!principal && options.mode === "local") principal = LOCAL_PRINCIPAL;
    }
    request.principal = principal;
    if (rule.access === "public") return;

    if (principal?.kind === "local") {
      // No credentials protect the local mode, so the browser's own signals must: a page on another
      // site (or a DNS name rebound to 127.0.0.1) must not drive it through the user's browser.
      if (!options.insecure && !LOOPBACK_HOST.test(hostnameOf(request.headers.host))) {
        return reply.code(403).send({
          error: `local mode answers only requests to localhost or 127.0.0.1, not ${request.headers.host}`,
        });
      }
      const unsafe =
        !SAFE_METHODS.has(request.method) || request.headers.upgrade?.toLowerCase() === "websocket";
      if (unsafe && !sameOrigin(request)) {
        return reply.code(403).send({ error: "cross-site request refused (its Origin is not this server)" });
      }
    }

    if (!principal) {
      return reply.code(401).send({
        error:
          options.mode === "oidc"
            ? "sign in at /auth/login or send an API key (Authorization: Bearer <key>)"
            : "send an API key (Authorization: Bearer <key>); create one with gantry keys create",
      });
    }
    // Agent keys reach the agent routes and nothing else; nobody else reaches those.
    if ((principal.role === "agent") !== (rule.access === "agent")) {
      return reply.code(403).send({
        error:
          principal.role === "agent"
            ? `${request.method} ${request.routeOptions.url} is not for agent keys: they reach /api/v1/agent/ only`
            : `${request.method} ${request.routeOptions.url} is for agent keys only (gantry keys create --role agent)`,
      });
    }
    if (rule.access !== "signed-in" && ROLE_RANK[principal.role] < ROLE_RANK[rule.access]) {
      return reply.code(403).send({
        error: `${request.method} ${request.routeOptions.url} needs the ${rule.access} role; you have ${principal.role}`,
      });
    }
    if (principal.csrf) {
      if (!SAFE_METHODS.has(request.method) && !csrfMatches(request, principal.csrf)) {
        return reply
          .code(403)
          .send({ error: "missing or wrong X-CSRF-Token header (get it from GET /auth/me)" });
      }
      // Browsers send cookies on cross-site WebSocket handshakes, and SameSite does not stop a
      // same-site attacker page: a cookie WebSocket must come from a page of this origin.
      if (request.headers.upgrade?.toLowerCase() === "websocket" && !sameOrigin(request)) {
        return reply.code(403).send({ error: "WebSocket from another origin refused" });
      }
    }
    if (principal.scope !== null) return checkTargetScope(ctx, request, reply, rule, principal);
  });

  app.addHook("preSerialization", async (request, _reply, payload) => {
    const rule = ruleOf(request);
    const scope = request.principal?.scope;
    if (!rule?.list || !scope || payload === null || typeof payload !== "object") return payload;
    const items = (payload as Record<string, unknown>)[rule.list];
    if (!Array.isArray(items)) return payload;
    const allowed = new Set(
      (await store.listWorkflows(db)).filter((w) => inScope(scope, w)).map((w) => w.name),
    );
    const name = (item: { name?: string; workflow?: string }) =>
      rule.list === "workflows" ? item.name : item.workflow;
    return { ...payload, [rule.list]: items.filter((item) => allowed.has(name(item) ?? "")) };
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const rule = ruleOf(request);
    if (!rule?.audit || reply.statusCode >= 300 || request.audited) return payload;
    let result: Record<string, unknown> = {};
    try {
      if (typeof payload === "string") result = JSON.parse(payload) as Record<string, unknown>;
    } catch {
      // not JSON: the entry records the target only
    }
    const { target, detail } = auditedAs(request, rule, result);
    await audit(ctx, request, request.principal, rule.audit, target, detail);
    return payload;
  });

  return { options, routes };
}

/** An audited route's target and detail, given what it answers. */
function auditedAs(request: FastifyRequest, rule: Rule, result: Record<string, unknown>) {
  const params = request.params as Record<string, string>;
  const target = rule.target ? (params[rule.target.param] ?? null) : request.url;
  const runId = result.run_id ?? result.id;
  const detail = {
    route: `${request.method} ${request.routeOptions.url}`,
    ...(typeof runId === "string" ? { run_id: runId } : {}),
    ...(typeof result.status === "string" ? { status: result.status } : {}),
  };
  return { target, detail };
}

/**
 * For a route that starts a run: the audit entry its answer would write, to be written with the run
 * instead (one statement for both on Postgres, where an entry of its own was a statement per request
 * before the answer). The answer then writes none. Undefined when the route is not audited.
 */
export function auditWith(
  ctx: ServerContext,
  request: FastifyRequest,
): ((result: Record<string, unknown>) => store.AuditEntry) | undefined {
  const url = request.routeOptions.url;
  const rule = url === undefined ? undefined : ruleFor(request.method, url);
  const action = rule?.audit;
  if (!rule || !action) return undefined;
  return (result) => {
    const { target, detail } = auditedAs(request, rule, result);
    request.audited = true;
    return auditEntry(ctx, request, request.principal, action, target, detail);
  };
}

const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** `host:port` or `[v6]:port` → the host part, lower-case. */
function hostnameOf(host: string | undefined): string {
  if (!host) return "";
  const h = host.toLowerCase();
  return h.startsWith("[") ? h.slice(0, h.indexOf("]") + 1) : (h.split(":")[0] ?? "");
}

/** The request has no Origin (not a browser) or comes from a page of this server. */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true; // not a browser
  try {
    const o = new URL(origin);
    // Through URL both sides, so a default port (:80, :443) in one and not the other still matches.
    return o.host === new URL(`${o.protocol}//${request.headers.host}`).host;
  } catch {
    return false;
  }
}

/** A scoped principal reaches only workflows in its scope, and only through routes that name one. */
async function checkTargetScope(
  ctx: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  rule: Rule,
  principal: Principal,
): Promise<FastifyReply | undefined> {
  const refuse = () => reply.code(403).send({ error: `your access is limited to ${principal.scope}` });
  if (rule.list) return undefined;
  if (!rule.target) return rule.access === "public" ? undefined : refuse();
  const db = ctx.service.database.db;
  const value = (request.params as Record<string, string>)[rule.target.param] ?? "";
  let workflowName: string | undefined = value;
  if (rule.target.kind === "run") workflowName = (await store.getRun(db, value))?.workflow;
  if (rule.target.kind === "schedule" || rule.target.kind === "trigger") workflowName = value.split(":")[0];
  if (rule.target.kind === "source") {
    return principal.scope === `source:${value}` ? undefined : refuse();
  }
  // An unknown run or workflow: the route answers 404, which tells nothing about other scopes.
  if (workflowName === undefined) return undefined;
  const workflow = await store.getWorkflow(db, workflowName);
  if (!workflow) return undefined;
  return inScope(principal.scope, workflow) ? undefined : refuse();
}
