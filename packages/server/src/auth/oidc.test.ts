import type { AddressInfo } from "node:net";
import { store } from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestIdp, TestBrowser, type TestIdp } from "../testing/oidc-idp.js";
import { openTestApp, type TestApp } from "../testing/test-app.js";
import { SESSION_COOKIE } from "./sessions.js";
import { type AuthOptions, DEFAULT_AUTH } from "./types.js";

const HELLO = `name: hello
on: {manual: {}}
steps:
  greet: {run: echo hi}
`;

const GATE = `name: gate
on: {manual: {}}
steps:
  ask:
    approval: {message: "ship?", approvers: {groups: [ops]}}
`;

// The whole authorization-code flow with PKCE against a real OpenID Provider: every redirect is
// followed over HTTP, the provider's login and consent forms are submitted, cookies are kept per host.
describe("OIDC sign-in against oidc-provider", () => {
  let idp: TestIdp;
  let t: TestApp;
  let base: string;
  let host: string;
  let clock = Date.now();
  const auth: AuthOptions = {
    ...DEFAULT_AUTH,
    mode: "oidc",
    secureCookies: false,
    loginRateLimit: 1000,
    oidc: {
      issuer: "set below, once the provider listens",
      clientId: "gantry",
      clientSecret: "test-client-secret-0123456789abcdef",
      scopes: ["openid", "profile", "email", "groups"],
      roleClaim: "groups",
      roles: [
        { value: "gantry-admins", role: "admin" },
        { value: "ops", role: "operator" },
        { value: "infra-deployers", role: "operator", scope: "folder:infra" },
      ],
    },
  };

  beforeAll(async () => {
    t = await openTestApp(
      "gantry-oidc-",
      { "hello.yaml": HELLO, "gate.yaml": GATE },
      { auth, now: () => clock },
    );
    await t.app.listen({ host: "127.0.0.1", port: 0 });
    host = `127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    base = `http://${host}`;
    idp = await startTestIdp([`${base}/auth/callback`]);
    if (auth.oidc) auth.oidc.issuer = idp.issuer;
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  const me = async (b: TestBrowser) => {
    const res = await b.request(`${base}/auth/me`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("signs a person in with a role from their group claim, and the session cookie is safe", async () => {
    const b = new TestBrowser();
    const res = await b.request(`${base}/auth/login?return_to=/runs`);
    expect(res.status).toBe(302);
    const authorize = new URL(res.headers.get("location") ?? "");
    expect(authorize.origin).toBe(idp.issuer);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("code_challenge")).toMatch(/^[\w-]{43}$/);

    let setCookie = "";
    const done = await b.signIn(authorize.href, "olga", (next) => next.startsWith(`${base}/auth/callback`));
    expect(done.stopped).toBeDefined();
    const callback = await b.request(done.stopped ?? "");
    setCookie = callback.headers.getSetCookie().join("\n");
    expect(callback.status).toBe(302);
    expect(callback.headers.get("location")).toBe("/runs");
    expect(setCookie).toMatch(new RegExp(`${SESSION_COOKIE}=[\\w-]{43};`));
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);

    const who = await me(b);
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({
      authenticated: true,
      kind: "user",
      name: "Olga Example",
      email: "olga@example.test",
      role: "operator",
      scope: null,
      // Kept with the session for approvals that name groups.
      groups: ["ops"],
      auth_mode: "oidc",
    });
    const csrf = who.body.csrf_token as string;
    expect(csrf).toMatch(/^[\w-]{32}$/);

    // The store has only the session id's hash.
    const sessionId = b.cookie(host, SESSION_COOKIE) ?? "";
    const rows = await store
      .withAuthTables(t.service.database.db)
      .selectFrom("auth_sessions")
      .selectAll()
      .execute();
    expect(JSON.stringify(rows)).not.toContain(sessionId);

    // Cookie changes need the CSRF token; reads do not.
    expect((await b.request(`${base}/api/v1/workflows`)).status).toBe(200);
    const start = (headers: Record<string, string>) =>
      b.request(`${base}/api/v1/workflows/hello/runs`, { method: "POST", json: { inputs: {} }, headers });
    const noToken = await start({});
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as { error: string }).error).toMatch(/X-CSRF-Token/);
    // Another last character, whatever the token's own is.
    const wrong = `${csrf.slice(0, -1)}${csrf.endsWith("x") ? "y" : "x"}`;
    expect((await start({ "x-csrf-token": wrong })).status).toBe(403);
    const started = await start({ "x-csrf-token": csrf });
    expect(started.status).toBe(201);
    const runId = ((await started.json()) as { id: string }).id;
    // The run records who started it, whom its approvals refuse unless allow_self.
    const run = await store.getRun(t.service.database.db, runId);
    expect(JSON.parse(run?.trigger_json ?? "{}")).toEqual({
      type: "api",
      actor: "user:olga",
      user: "Olga Example",
    });
    const [entry] = await store.listAudit(t.service.database.db, { limit: 1, action: "run.start" });
    expect(entry).toMatchObject({ actor: "user:olga", actor_name: "Olga Example", target: "hello" });
    expect(JSON.parse(entry?.detail_json ?? "{}")).toMatchObject({ run_id: runId });

    // An operator is not an admin.
    expect((await b.request(`${base}/api/v1/keys`)).status).toBe(403);

    // The audit log records the sign-in.
    const entries = await store.listAudit(t.service.database.db, { limit: 10, action: "auth.login" });
    expect(entries.some((e) => e.actor_name === "Olga Example" && e.actor === "user:olga")).toBe(true);
  });

  it("maps the admin group to admin and rotates the session id on every sign-in", async () => {
    const b = new TestBrowser();
    const first = await b.signIn(`${base}/auth/login`, "alice");
    expect(first.response.status).toBe(200); // landed on "/" of the app (its UI, or 404 JSON without one)
    const before = b.cookie(host, SESSION_COOKIE);
    expect((await me(b)).body).toMatchObject({ role: "admin", name: "Alice Example" });
    expect((await b.request(`${base}/api/v1/keys`)).status).toBe(200);

    await b.signIn(`${base}/auth/login`, "alice");
    const after = b.cookie(host, SESSION_COOKIE);
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    // The old session id no longer works.
    const stale = new TestBrowser();
    stale.setCookie(host, SESSION_COOKIE, before ?? "");
    expect((await me(stale)).status).toBe(401);
  });

  it("gives a scoped role from a scoped mapping", async () => {
    const b = new TestBrowser();
    await b.signIn(`${base}/auth/login`, "sam");
    expect((await me(b)).body).toMatchObject({ role: "operator", scope: "folder:infra" });
    // hello.yaml is not under infra/: the list is filtered and the workflow refused.
    const list = (await (await b.request(`${base}/api/v1/workflows`)).json()) as { workflows: unknown[] };
    expect(list.workflows).toEqual([]);
    expect((await b.request(`${base}/api/v1/workflows/hello`)).status).toBe(403);
  });

  it("lets a person decide an approval through the groups claim kept with the session", async () => {
    const alice = new TestBrowser();
    await alice.signIn(`${base}/auth/login`, "alice");
    const aliceCsrf = String((await me(alice)).body.csrf_token);
    const started = await alice.request(`${base}/api/v1/workflows/gate/runs`, {
      method: "POST",
      json: {},
      headers: { "x-csrf-token": aliceCsrf },
    });
    expect(started.status).toBe(201);
    const { id } = (await started.json()) as { id: string };
    const decide = (b: TestBrowser, csrf: string) =>
      b.request(`${base}/api/v1/runs/${id}/approvals/ask`, {
        method: "POST",
        json: { decision: "approve", comment: "ops says yes" },
        headers: { "x-csrf-token": csrf },
      });
    expect((await decide(alice, aliceCsrf)).status).toBe(403);

    // Olga's role (operator) is not listed: only her `ops` group admits her.
    const olga = new TestBrowser();
    await olga.signIn(`${base}/auth/login`, "olga");
    const olgaCsrf = String((await me(olga)).body.csrf_token);
    const inbox = (await (await olga.request(`${base}/api/v1/approvals?run_id=${id}`)).json()) as {
      approvals: unknown[];
    };
    expect(inbox.approvals).toMatchObject([{ step: "ask", can_decide: true, refusal: null }]);
    const ok = await decide(olga, olgaCsrf);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      decision: { decision: "approve", by: "Olga Example", by_id: "user:olga", comment: "ops says yes" },
      run_status: "succeeded",
    });
  });

  it("refuses a person whose groups map to no role", async () => {
    const b = new TestBrowser();
    const done = await b.signIn(`${base}/auth/login`, "vera");
    expect(done.response.status).toBe(403);
    expect(((await done.response.json()) as { error: string }).error).toMatch(/no Gantry role.*groups/);
    expect((await me(b)).status).toBe(401);
  });

  it("refuses a tampered state and a replayed callback", async () => {
    const b = new TestBrowser();
    const start = await b.request(`${base}/auth/login`);
    const done = await b.signIn(start.headers.get("location") ?? "", "olga", (n) =>
      n.startsWith(`${base}/auth/callback`),
    );
    const callback = new URL(done.stopped ?? "");
    const tampered = new URL(callback);
    tampered.searchParams.set("state", `${callback.searchParams.get("state")}x`);
    const bad = await b.request(tampered.href);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/state/);
    expect(b.cookie(host, SESSION_COOKIE)).toBeUndefined();

    // The real callback still works once, then its state is spent.
    expect((await b.request(callback.href)).status).toBe(302);
    expect((await b.request(callback.href)).status).toBe(400);
  });

  it("refuses a callback in a browser that did not start the sign-in (login CSRF)", async () => {
    const attacker = new TestBrowser();
    const start = await attacker.request(`${base}/auth/login`);
    const done = await attacker.signIn(start.headers.get("location") ?? "", "olga", (n) =>
      n.startsWith(`${base}/auth/callback`),
    );
    // The attacker sends the unredeemed callback URL to a victim, whose browser opens it.
    const victim = new TestBrowser();
    const res = await victim.request(done.stopped ?? "");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain("not started in this browser");
    expect(victim.cookie(host, SESSION_COOKIE)).toBeUndefined();
    expect((await me(victim)).status).toBe(401);
  });

  it("refuses a code sent with the state of another sign-in (PKCE and state are bound together)", async () => {
    const b = new TestBrowser();
    const one = await b.request(`${base}/auth/login`);
    const two = await b.request(`${base}/auth/login`);
    const doneOne = await b.signIn(one.headers.get("location") ?? "", "olga", (n) =>
      n.startsWith(`${base}/auth/callback`),
    );
    const stateTwo = new URL(two.headers.get("location") ?? "").searchParams.get("state") ?? "";
    const swapped = new URL(doneOne.stopped ?? "");
    swapped.searchParams.set("state", stateTwo);
    const res = await b.request(swapped.href);
    expect(res.status).toBe(401);
    expect(b.cookie(host, SESSION_COOKIE)).toBeUndefined();
  });

  it("ends an expired session, and logout ends a live one", async () => {
    const b = new TestBrowser();
    await b.signIn(`${base}/auth/login`, "olga");
    expect((await me(b)).status).toBe(200);
    clock += auth.sessionTtlMs + 1;
    try {
      expect((await me(b)).status).toBe(401);
      expect((await b.request(`${base}/api/v1/runs`)).status).toBe(401);
    } finally {
      clock -= auth.sessionTtlMs + 1;
    }

    const c = new TestBrowser();
    await c.signIn(`${base}/auth/login`, "olga");
    const { body } = await me(c);
    expect((await c.request(`${base}/auth/logout`, { method: "POST" })).status).toBe(403);
    const out = await c.request(`${base}/auth/logout`, {
      method: "POST",
      headers: { "x-csrf-token": String(body.csrf_token) },
    });
    expect(out.status).toBe(200);
    const reply = (await out.json()) as { logged_out: boolean; logout_url: string | null };
    expect(reply.logged_out).toBe(true);
    expect(reply.logout_url?.startsWith(`${idp.issuer}/session/end`)).toBe(true);
    expect((await me(c)).status).toBe(401);
  });

  it("guards the log WebSocket: a session from this origin, a key, nobody else", async () => {
    const b = new TestBrowser();
    await b.signIn(`${base}/auth/login`, "olga");
    const csrf = String((await me(b)).body.csrf_token);
    const run = await b.request(`${base}/api/v1/workflows/hello/runs`, {
      method: "POST",
      json: {},
      headers: { "x-csrf-token": csrf },
    });
    const { id } = (await run.json()) as { id: string };
    const ws = `ws://${host}/api/v1/runs/${id}/logs`;
    const cookie = `${SESSION_COOKIE}=${b.cookie(host, SESSION_COOKIE)}`;
    /** The handshake's outcome: "open", or the HTTP status that refused it. */
    const handshake = (headers: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(ws, { headers });
        socket.on("open", () => {
          socket.close();
          resolve("open");
        });
        socket.on("unexpected-response", (_req, res) => resolve(String(res.statusCode)));
        socket.on("error", (error) => resolve(`error ${error.message}`));
      });
    expect(await handshake({})).toBe("401");
    expect(await handshake({ cookie, origin: base })).toBe("open");
    expect(await handshake({ cookie, origin: "http://evil.example" })).toBe("403");
  });

  it("tells the UI where to sign in when nobody is signed in", async () => {
    const res = await fetch(`${base}/auth/me`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      authenticated: false,
      auth_mode: "oidc",
      login_url: "/auth/login",
    });
    expect((await fetch(`${base}/api/v1/runs`)).status).toBe(401);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
