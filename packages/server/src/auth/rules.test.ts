import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, type TestApp } from "../testing/test-app.js";
import { registeredRoutes } from "./hook.js";
import { createApiKey } from "./keys.js";
import { ruleFor } from "./rules.js";
import { DEFAULT_AUTH, ROLE_RANK, ROLES, type Role } from "./types.js";

const HELLO = `name: hello
on: {manual: {}}
steps:
  greet: {run: echo hi}
`;

/**
 * Walks every route the app registers (collected by the auth hook's onRoute) with every role and with
 * no credentials. A route without a rule in rules.ts FAILS this test: declare who may call it there.
 */
describe("every route has an authorization rule, enforced for every role", () => {
  let t: TestApp;
  const keys = {} as Record<Role, string>;
  let agentKey = "";

  beforeAll(async () => {
    t = await openTestApp(
      "gantry-rules-",
      { "hello.yaml": HELLO },
      { auth: { ...DEFAULT_AUTH, mode: "keys" } },
    );
    for (const role of ROLES) {
      keys[role] = (
        await createApiKey(t.service.database.db, { name: role, role, createdBy: "test" }, Date.now())
      ).key;
    }
    agentKey = (
      await createApiKey(
        t.service.database.db,
        { name: "agent", role: "agent", labels: ["linux"], createdBy: "test" },
        Date.now(),
      )
    ).key;
  });
  afterAll(() => t?.close());

  it("has a rule for every registered route", () => {
    const routes = registeredRoutes(t.app);
    expect(routes.length).toBeGreaterThan(20);
    const missing = routes.filter((r) => !ruleFor(r.method, r.url)).map((r) => `${r.method} ${r.url}`);
    expect(missing, `add these to RULES in packages/server/src/auth/rules.ts`).toEqual([]);
  });

  it("lets each role through exactly the routes its rank allows, and agent keys through the agent routes only", async () => {
    const failures: string[] = [];
    for (const { method, url } of registeredRoutes(t.app)) {
      if (method === "HEAD" || method === "OPTIONS") continue;
      const rule = ruleFor(method, url);
      if (!rule) continue; // reported by the test above
      // Fill params with names that exist nowhere: allowed requests then end in 404/400, never in a change.
      // The agents' long-poll answers at once with timeout_ms=0 instead of waiting for a wake-up.
      const path =
        url.replace(/:[A-Za-z_]+/g, "no-such-thing").replace(/\*$/, "no-such-file") +
        (url === "/api/v1/agent/wait" ? "?timeout_ms=0" : "");
      const callers: Array<[string, Record<string, string>, number]> = [
        ["anonymous", {}, 0],
        ["agent", { authorization: `Bearer ${agentKey}` }, ROLE_RANK.agent],
        ...ROLES.map((role): [string, Record<string, string>, number] => [
          role,
          { authorization: `Bearer ${keys[role]}` },
          ROLE_RANK[role],
        ]),
      ];
      for (const [who, headers, rank] of callers) {
        const res = await t.app.inject({ method: method as "GET", url: path, headers });
        const needed =
          rule.access === "public" ? 0 : rule.access === "signed-in" ? 1 : ROLE_RANK[rule.access];
        const denied = res.statusCode === 401 || res.statusCode === 403;
        // Agent routes are for agent keys alone, and agent keys reach nothing else that is not public.
        const shouldDeny =
          rule.access === "agent"
            ? who !== "agent"
            : who === "agent"
              ? rule.access !== "public"
              : rank < needed;
        // Public routes may refuse on their own terms (a webhook's bad signature); only check they are reachable.
        if (shouldDeny && !denied)
          failures.push(`${who} ${method} ${url}: ${res.statusCode}, expected 401/403`);
        if (!shouldDeny && denied && rule.access !== "public")
          failures.push(`${who} ${method} ${url}: ${res.statusCode} ${res.body}`);
        if (shouldDeny && who === "anonymous" && res.statusCode !== 401)
          failures.push(`anonymous ${method} ${url}: ${res.statusCode}, expected 401`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("refuses a route nobody declared to all but admins (fail closed)", async () => {
    const other = await openTestApp(
      "gantry-rules-undeclared-",
      {},
      { auth: { ...DEFAULT_AUTH, mode: "keys" } },
    );
    try {
      other.app.get("/api/v1/undeclared", async () => ({ ok: true }));
      const db = other.service.database.db;
      const operator = (await createApiKey(db, { name: "o", role: "operator", createdBy: "t" }, Date.now()))
        .key;
      const admin = (await createApiKey(db, { name: "a", role: "admin", createdBy: "t" }, Date.now())).key;
      const call = (key: string) =>
        other.app.inject({ url: "/api/v1/undeclared", headers: { authorization: `Bearer ${key}` } });
      expect((await call(operator)).statusCode).toBe(403);
      expect((await call(admin)).statusCode).toBe(200);
      expect(ruleFor("GET", "/api/v1/undeclared")).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});
