import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, type TestApp } from "../testing/test-app.js";
import { createApiKey } from "./keys.js";
import { DEFAULT_AUTH } from "./types.js";

const HELLO = "name: hello\non: {manual: {}}\nsteps:\n  greet: {run: echo hi}\n";

/** The session cookie a reply set, as a Cookie header. */
function cookieOf(setCookie: string | string[] | undefined): string {
  const first = [setCookie ?? []].flat().find((c) => c.startsWith("gantry_session="));
  if (!first) throw new Error(`no session cookie in ${JSON.stringify(setCookie)}`);
  return first.split(";")[0] as string;
}

describe("signing the UI in with an API key (servers without OIDC)", () => {
  let t: TestApp;
  let clock = Date.now();
  let admin: string;

  beforeAll(async () => {
    t = await openTestApp(
      "gantry-key-sign-in-",
      { "hello.yaml": HELLO },
      { auth: { ...DEFAULT_AUTH, mode: "keys" }, now: () => clock },
    );
    admin = (
      await createApiKey(t.service.database.db, { name: "root", role: "admin", createdBy: "test" }, clock)
    ).key;
  });
  afterAll(() => t?.close());

  const signIn = (key: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: "POST", url: "/auth/key", payload: { key }, headers });

  it("tells the UI where to sign in with a key", async () => {
    const me = await t.app.inject({ url: "/auth/me" });
    expect(me.statusCode).toBe(401);
    expect(me.json()).toMatchObject({ authenticated: false, login_url: null, key_login_url: "/auth/key" });
  });

  it("turns a valid key into a session that acts as the key, with its role and a CSRF token", async () => {
    const viewer = await createApiKey(
      t.service.database.db,
      { name: "alice's key", role: "viewer", createdBy: "test" },
      clock,
    );
    const res = await signIn(viewer.key);
    expect(res.statusCode).toBe(200);
    const setCookie = res.headers["set-cookie"];
    expect(String(setCookie)).toMatch(/HttpOnly/i);
    // The key itself never travels back, nor sits in the cookie.
    expect(JSON.stringify(res.headers) + res.body).not.toContain(viewer.key);
    const cookie = cookieOf(setCookie);
    const me = (await t.app.inject({ url: "/auth/me", headers: { cookie } })).json() as Record<
      string,
      unknown
    >;
    expect(me).toMatchObject({
      authenticated: true,
      kind: "key",
      id: `key:${viewer.view.id}`,
      name: "alice's key",
      role: "viewer",
    });
    expect(me.csrf_token).toEqual(expect.any(String));
    // It reads as a viewer, may not start runs, and a change needs the CSRF token like any cookie session.
    expect((await t.app.inject({ url: "/api/v1/runs", headers: { cookie } })).statusCode).toBe(200);
    const start = await t.app.inject({
      method: "POST",
      url: "/api/v1/workflows/hello/runs",
      headers: { cookie, "x-csrf-token": String(me.csrf_token) },
      payload: {},
    });
    expect(start.statusCode).toBe(403);
    expect(start.json().error).toMatch(/needs the operator role; you have viewer/);
    const noCsrf = await t.app.inject({ method: "POST", url: "/auth/logout", headers: { cookie } });
    expect(noCsrf.statusCode).toBe(403);
    // The sign-in is in the audit log under the key.
    const audit = await t.app.inject({ url: "/api/v1/audit", headers: { authorization: `Bearer ${admin}` } });
    expect(audit.json().entries).toContainEqual(
      expect.objectContaining({ action: "auth.login", actor: `key:${viewer.view.id}` }),
    );
  });

  it("ends the session when the key is revoked, and never outlives the key's expiry", async () => {
    const day = 86_400_000;
    const key = await createApiKey(
      t.service.database.db,
      { name: "short", role: "operator", createdBy: "test", expiresAt: clock + day },
      clock,
    );
    const res = await signIn(key.key);
    expect(res.statusCode).toBe(200);
    const maxAge = Number(/Max-Age=(\d+)/i.exec(String(res.headers["set-cookie"]))?.[1]);
    expect(maxAge).toBeLessThanOrEqual(day / 1000);
    const cookie = cookieOf(res.headers["set-cookie"]);
    expect((await t.app.inject({ url: "/auth/me", headers: { cookie } })).statusCode).toBe(200);
    const revoke = await t.app.inject({
      method: "DELETE",
      url: `/api/v1/keys/${key.view.id}`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(revoke.statusCode).toBe(200);
    const after = await t.app.inject({ url: "/auth/me", headers: { cookie } });
    expect(after.statusCode).toBe(401);
    expect((await t.app.inject({ url: "/api/v1/runs", headers: { cookie } })).statusCode).toBe(401);

    const expiring = await createApiKey(
      t.service.database.db,
      { name: "expiring", role: "viewer", createdBy: "test", expiresAt: clock + 60_000 },
      clock,
    );
    const cookie2 = cookieOf((await signIn(expiring.key)).headers["set-cookie"]);
    expect((await t.app.inject({ url: "/auth/me", headers: { cookie: cookie2 } })).statusCode).toBe(200);
    clock += 61_000;
    expect((await t.app.inject({ url: "/auth/me", headers: { cookie: cookie2 } })).statusCode).toBe(401);
  });

  it("refuses a wrong key, an oversized body and a sign-in posted from another site", async () => {
    const wrong = await signIn("gantry_not-a-key");
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error).toBe("invalid, expired or revoked API key");
    expect(wrong.headers["set-cookie"]).toBeUndefined();
    expect((await signIn("x".repeat(201))).statusCode).toBe(400);
    const crossSite = await signIn(admin, { origin: "https://evil.example", host: "localhost:8080" });
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.headers["set-cookie"]).toBeUndefined();
  });
});

describe("key sign-in on a server that asks for no sign-in", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp("gantry-key-sign-in-local-", { "hello.yaml": HELLO });
  });
  afterAll(() => t?.close());

  it("is not offered and answers 404", async () => {
    const me = (await t.app.inject({ url: "/auth/me", headers: { host: "localhost" } })).json();
    expect(me).toMatchObject({ authenticated: true, key_login_url: null });
    const res = await t.app.inject({
      method: "POST",
      url: "/auth/key",
      payload: { key: "gantry_x" },
      headers: { host: "localhost" },
    });
    expect(res.statusCode).toBe(404);
  });
});
