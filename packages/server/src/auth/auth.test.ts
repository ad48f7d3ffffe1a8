import { readFileSync } from "node:fs";
import path from "node:path";
import { store } from "@gantry/engine";
import type { FastifyRequest } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, type TestApp } from "../testing/test-app.js";
import { createApiKey } from "./keys.js";
import { checkScope, inScope } from "./scope.js";
import { secureCookie } from "./sessions.js";
import { DEFAULT_AUTH } from "./types.js";

const flow = (name: string) => `name: ${name}
on: {manual: {}}
steps:
  greet: {run: echo hi}
`;

describe("API keys, roles, scopes and the audit log", () => {
  let t: TestApp;
  let clock = Date.now();
  let admin: string;
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    t = await openTestApp(
      "gantry-auth-",
      { "hello.yaml": flow("hello") },
      { auth: { ...DEFAULT_AUTH, mode: "keys", loginRateLimit: 3 }, now: () => clock },
    );
    admin = (
      await createApiKey(t.service.database.db, { name: "root", role: "admin", createdBy: "test" }, clock)
    ).key;
  });
  afterAll(() => t?.close());

  it("creates a key through the API, shows it once, stores only its hash, and lists it without it", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/keys",
      headers: bearer(admin),
      payload: { name: "ci", role: "operator", expires_in: "30d" },
    });
    expect(res.statusCode).toBe(201);
    const created = res.json() as Record<string, string>;
    expect(created.key).toMatch(/^gantry_[\w-]{43}$/);
    expect(created).toMatchObject({
      name: "ci",
      role: "operator",
      scope: null,
      state: "active",
      created_by: expect.stringMatching(/^key:/),
    });
    expect(new Date(created.expires_at ?? "").getTime()).toBe(clock + 30 * 86_400_000);

    const list = (await t.app.inject({ url: "/api/v1/keys", headers: bearer(admin) })).json() as {
      keys: object[];
    };
    expect(JSON.stringify(list)).not.toContain(created.key);
    expect(list.keys.find((k) => (k as { id: string }).id === created.id)).toMatchObject({
      hint: `${created.key?.slice(0, 11)}…`,
    });
    // Not in the database file either.
    const db = readFileSync(path.join(t.dir, "gantry.db")).toString("latin1");
    expect(db).not.toContain(created.key);

    // It works, and its last use is recorded.
    expect((await t.app.inject({ url: "/api/v1/runs", headers: bearer(created.key ?? "") })).statusCode).toBe(
      200,
    );
    const row = (await store.listApiKeys(t.service.database.db)).find((k) => k.id === created.id);
    expect(row?.last_used_at).toBe(clock);

    // Revoked: refused at once; the audit log has both changes.
    const del = await t.app.inject({
      method: "DELETE",
      url: `/api/v1/keys/${created.id}`,
      headers: bearer(admin),
    });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toMatchObject({ state: "revoked" });
    expect((await t.app.inject({ url: "/api/v1/runs", headers: bearer(created.key ?? "") })).statusCode).toBe(
      401,
    );
    expect(
      (await t.app.inject({ method: "DELETE", url: `/api/v1/keys/${created.id}`, headers: bearer(admin) }))
        .statusCode,
    ).toBe(404);
    const audit = (await t.app.inject({ url: "/api/v1/audit?limit=5", headers: bearer(admin) })).json() as {
      entries: Array<{ action: string; target: string; detail: Record<string, unknown> }>;
    };
    expect(audit.entries.map((e) => e.action).slice(0, 2)).toEqual(["key.revoke", "key.create"]);
    expect(audit.entries[1]).toMatchObject({ target: created.id, detail: { name: "ci", role: "operator" } });
  });

  it("refuses bad key requests with the field named", async () => {
    const bad = await t.app.inject({
      method: "POST",
      url: "/api/v1/keys",
      headers: bearer(admin),
      payload: { name: "x", role: "root" },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/role/);
    const when = await t.app.inject({
      method: "POST",
      url: "/api/v1/keys",
      headers: bearer(admin),
      payload: { name: "x", role: "viewer", expires_in: "soon" },
    });
    expect(when.statusCode).toBe(400);
    expect(when.json().errors[0].field).toBe("expires_in");
  });

  it("expires keys", async () => {
    const { key } = await createApiKey(
      t.service.database.db,
      { name: "short", role: "viewer", createdBy: "t", expiresAt: clock + 1000 },
      clock,
    );
    expect((await t.app.inject({ url: "/api/v1/runs", headers: bearer(key) })).statusCode).toBe(200);
    clock += 1000;
    expect((await t.app.inject({ url: "/api/v1/runs", headers: bearer(key) })).statusCode).toBe(401);
  });

  it("lets viewers read but not start; operators start, cancel and re-run, and each is audited", async () => {
    const db = t.service.database.db;
    const viewer = (await createApiKey(db, { name: "v", role: "viewer", createdBy: "t" }, clock)).key;
    const operator = (await createApiKey(db, { name: "deployer", role: "operator", createdBy: "t" }, clock))
      .key;
    const start = (key: string) =>
      t.app.inject({
        method: "POST",
        url: "/api/v1/workflows/hello/runs",
        headers: bearer(key),
        payload: { inputs: {} },
      });
    const refused = await start(viewer);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatch(/needs the operator role; you have viewer/);
    const started = await start(operator);
    expect(started.statusCode).toBe(201);
    const id = started.json().id as string;
    expect(
      (await t.app.inject({ method: "POST", url: `/api/v1/runs/${id}/cancel`, headers: bearer(operator) }))
        .statusCode,
    ).toBe(202);
    expect(
      (await t.app.inject({ method: "POST", url: `/api/v1/runs/${id}/rerun`, headers: bearer(operator) }))
        .statusCode,
    ).toBe(201);
    const entries = await store.listAudit(db, { limit: 3 });
    expect(entries.map((e) => [e.action, e.actor_name, e.target])).toEqual([
      ["run.rerun", "deployer", id],
      ["run.cancel", "deployer", id],
      ["run.start", "deployer", "hello"],
    ]);
    // Only admins read the audit log.
    expect((await t.app.inject({ url: "/api/v1/audit", headers: bearer(operator) })).statusCode).toBe(403);
  });

  it("audits each of many runs started at the same time (their entries written together) with its own run", async () => {
    const db = t.service.database.db;
    const operator = (await createApiKey(db, { name: "burst", role: "operator", createdBy: "t" }, clock)).key;
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        t.app.inject({
          method: "POST",
          url: "/api/v1/workflows/hello/runs",
          headers: bearer(operator),
          payload: { inputs: {} },
        }),
      ),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(answers.map(() => 201));
    const ids = answers.map((a) => a.json().id as string);
    const entries = (await store.listAudit(db, { limit: 12 })).filter((e) => e.actor_name === "burst");
    expect(entries.map((e) => [e.action, e.target])).toEqual(ids.map(() => ["run.start", "hello"]));
    expect(
      entries.map((e) => (JSON.parse(e.detail_json ?? "{}") as { run_id: string }).run_id).sort(),
    ).toEqual([...ids].sort());
  });

  it("limits a scoped key to its workflows: lists are filtered, others refused", async () => {
    const db = t.service.database.db;
    const hello = await store.getWorkflow(db, "hello");
    const scoped = (
      await createApiKey(
        db,
        { name: "s", role: "operator", scope: `source:${hello?.source}`, createdBy: "t" },
        clock,
      )
    ).key;
    const other = (
      await createApiKey(
        db,
        { name: "o", role: "operator", scope: "source:elsewhere", createdBy: "t" },
        clock,
      )
    ).key;
    const names = async (key: string) =>
      (
        (await t.app.inject({ url: "/api/v1/workflows", headers: bearer(key) })).json() as {
          workflows: Array<{ name: string }>;
        }
      ).workflows.map((w) => w.name);
    expect(await names(scoped)).toContain("hello");
    expect(await names(other)).toEqual([]);
    expect((await t.app.inject({ url: "/api/v1/workflows/hello", headers: bearer(other) })).statusCode).toBe(
      403,
    );
    const run = await t.app.inject({
      method: "POST",
      url: "/api/v1/workflows/hello/runs",
      headers: bearer(scoped),
      payload: {},
    });
    expect(run.statusCode).toBe(201);
    const id = run.json().id as string;
    expect((await t.app.inject({ url: `/api/v1/runs/${id}`, headers: bearer(other) })).statusCode).toBe(403);
    const runs = (await t.app.inject({ url: "/api/v1/runs", headers: bearer(other) })).json() as {
      runs: unknown[];
    };
    expect(runs.runs).toEqual([]);
    // Routes that span every workflow are not for scoped keys.
    expect((await t.app.inject({ url: "/api/v1/dashboard", headers: bearer(scoped) })).statusCode).toBe(403);
  });

  it("answers 401 without credentials, and slows down failed key checks", async () => {
    const none = await t.app.inject({ url: "/api/v1/runs" });
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toMatch(/gantry keys create/);
    expect((await t.app.inject({ url: "/healthz" })).statusCode).toBe(200);
    expect((await t.app.inject({ url: "/auth/me" })).json()).toMatchObject({
      authenticated: false,
      auth_mode: "keys",
      login_url: null,
    });
    const me = (await t.app.inject({ url: "/auth/me", headers: bearer(admin) })).json();
    expect(me).toMatchObject({
      authenticated: true,
      kind: "key",
      name: "root",
      role: "admin",
      csrf_token: null,
    });

    const timings: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const res = await t.app.inject({ url: "/api/v1/runs", headers: bearer(`gantry_${"x".repeat(43)}`) });
      timings.push(performance.now() - started);
      expect(res.statusCode).toBe(401);
    }
    // 200 ms, 400 ms, 600 ms: each failure from the same address waits longer.
    expect(timings[0]).toBeGreaterThanOrEqual(190);
    expect(timings[2]).toBeGreaterThanOrEqual(590);
  });

  it("rate-limits sign-in attempts per address", async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await t.app.inject({ url: "/auth/login" })).statusCode);
    // keys mode: /auth/login answers 404 (no OIDC), until the limit of 3 a minute.
    expect(codes).toEqual([404, 404, 404, 429]);
  });
});

describe("scopes", () => {
  it("matches a source by name and a folder by path prefix", () => {
    const w = { source: "infra", file: "deploy/prod.yaml" };
    expect(inScope(null, w)).toBe(true);
    expect(inScope("source:infra", w)).toBe(true);
    expect(inScope("source:infra2", w)).toBe(false);
    expect(inScope("folder:deploy", w)).toBe(true);
    expect(inScope("folder:./deploy/", w)).toBe(true);
    expect(inScope("folder:dep", w)).toBe(false);
    expect(() => checkScope("team:x", "auth.oidc.roles[0].scope")).toThrow(
      /auth.oidc.roles\[0\].scope: scope 'team:x' must be source:<name> or folder:<path>/,
    );
  });
});

describe("OIDC misconfigured", () => {
  it("answers 502 naming the identity provider it cannot reach", async () => {
    const t = await openTestApp(
      "gantry-oidc-down-",
      {},
      {
        auth: {
          ...DEFAULT_AUTH,
          mode: "oidc",
          oidc: {
            issuer: "http://127.0.0.1:9",
            clientId: "g",
            scopes: ["openid"],
            roleClaim: "groups",
            roles: [],
          },
        },
      },
    );
    try {
      const res = await t.app.inject({ url: "/auth/login" });
      expect(res.statusCode).toBe(502);
      expect(res.json().error).toMatch(/^the identity provider http:\/\/127\.0\.0\.1:9 cannot be reached/);
      const callback = await t.app.inject({ url: "/auth/callback?code=x&state=forged" });
      expect(callback.statusCode).toBe(400);
    } finally {
      await t.close();
    }
  });
});

describe("webhooks", () => {
  it("stay open without credentials, rate-limited per address", async () => {
    const t = await openTestApp(
      "gantry-hooks-",
      {},
      { auth: { ...DEFAULT_AUTH, mode: "keys", webhookRateLimit: 2 } },
    );
    try {
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await t.app.inject({ method: "POST", url: "/api/v1/webhooks/github", payload: "{}" });
        codes.push(res.statusCode);
      }
      // Unsigned: the route answers 401 before reading the body, until the limit.
      expect(codes).toEqual([401, 401, 429]);
    } finally {
      await t.close();
    }
  });
});

describe("session cookies", () => {
  it("are Secure over https, behind an https public URL, or when told so", () => {
    const http = { protocol: "http" } as FastifyRequest;
    const https = { protocol: "https" } as FastifyRequest;
    expect(secureCookie(DEFAULT_AUTH, http)).toBe(false);
    expect(secureCookie(DEFAULT_AUTH, https)).toBe(true);
    expect(secureCookie({ ...DEFAULT_AUTH, publicUrl: "https://gantry.example.com" }, http)).toBe(true);
    expect(secureCookie({ ...DEFAULT_AUTH, secureCookies: true }, http)).toBe(true);
  });
});

describe("local single-user mode (no auth configured)", () => {
  it("acts as the local admin without credentials, but still refuses a bad key", async () => {
    const t = await openTestApp("gantry-local-", { "hello.yaml": flow("hello") });
    try {
      expect((await t.app.inject({ url: "/api/v1/keys" })).statusCode).toBe(200);
      expect((await t.app.inject({ url: "/auth/me" })).json()).toMatchObject({
        authenticated: true,
        kind: "local",
        role: "admin",
        auth_mode: "local",
      });
      expect(
        (await t.app.inject({ url: "/api/v1/runs", headers: { authorization: "Bearer nope" } })).statusCode,
      ).toBe(401);
      const run = await t.app.inject({ method: "POST", url: "/api/v1/workflows/hello/runs", payload: {} });
      expect(run.statusCode).toBe(201);
      const [entry] = await store.listAudit(t.service.database.db, { limit: 1 });
      expect(entry).toMatchObject({ action: "run.start", actor: "local" });
      // A page on another site, or a DNS name rebound to 127.0.0.1, cannot drive the local mode.
      const runId = run.json().id as string;
      const cancel = (headers: Record<string, string>) =>
        t.app.inject({ method: "POST", url: `/api/v1/runs/${runId}/cancel`, headers });
      expect((await cancel({ origin: "http://evil.example" })).statusCode).toBe(403);
      const rebound = await t.app.inject({ url: "/api/v1/runs", headers: { host: "evil.example:8080" } });
      expect(rebound.statusCode).toBe(403);
      expect(rebound.json().error).toMatch(/localhost or 127\.0\.0\.1/);
      expect(
        (await t.app.inject({ url: "/api/v1/runs", headers: { host: "127.0.0.1:8080" } })).statusCode,
      ).toBe(200);
      expect((await cancel({ origin: "http://localhost:80", host: "localhost:80" })).statusCode).toBe(202);
    } finally {
      await t.close();
    }
  });
});

describe("failed API-key checks", () => {
  it("answer 429 after the configured number a minute from one address", async () => {
    const t = await openTestApp(
      "gantry-keyguess-",
      {},
      { auth: { ...DEFAULT_AUTH, mode: "keys", failedKeyLimit: 3 } },
    );
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await t.app.inject({
          method: "GET",
          url: "/api/v1/workflows",
          headers: { authorization: `Bearer gantry_guess${i}` },
        });
        codes.push(res.statusCode);
        if (res.statusCode === 429) expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
      }
      expect(codes).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await t.close();
    }
  });
});
