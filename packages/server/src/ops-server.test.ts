import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessHealth } from "./health.js";
import { type OpsServer, startOpsServer } from "./ops-server.js";
import { openTestApp, type TestApp } from "./testing/test-app.js";

describe("the operations listener and the API's health routes", () => {
  let t: TestApp;
  let ops: OpsServer;
  const lines: string[] = [];
  const health = new ProcessHealth((line) => lines.push(line));
  let registry: Registry | undefined;

  beforeAll(async () => {
    t = await openTestApp("gantry-ops-", {}, { metricsOnApiPort: false });
    ops = await startOpsServer({
      host: "127.0.0.1",
      port: 0,
      health,
      registry: () => registry,
      version: "test",
    });
  });
  afterAll(async () => {
    await ops?.close();
    await t?.close();
  });

  it("is live at once, and ready only while running with its database answering", async () => {
    expect((await fetch(`${ops.url}/healthz`)).status).toBe(200);
    for (const phase of ["starting", "waiting for the database schema"] as const) {
      health.phase = phase;
      const r = await fetch(`${ops.url}/readyz`);
      expect([r.status, await r.json()]).toEqual([503, { status: "unavailable", reason: phase }]);
    }
    health.phase = "running";
    health.database = t.service.database;
    expect((await fetch(`${ops.url}/readyz`)).status).toBe(200);
    let draining = false;
    health.addCheck(() => (draining ? "worker draining" : undefined));
    draining = true;
    expect(await (await fetch(`${ops.url}/readyz`)).json()).toEqual({
      status: "unavailable",
      reason: "worker draining",
    });
    draining = false;
  });

  it("serves the registry it is given, read at each scrape", async () => {
    expect(await (await fetch(`${ops.url}/metrics`)).text()).toBe("");
    registry = new Registry();
    registry.setDefaultLabels({ pod: "a" });
    const { Gauge } = await import("prom-client");
    new Gauge({ name: "gantry_test_value", help: "a test", registers: [registry] }).set(3);
    expect(await (await fetch(`${ops.url}/metrics`)).text()).toContain('gantry_test_value{pod="a"} 3');
  });

  it("keeps /metrics off the API port when a metrics listener serves it", async () => {
    const r = await t.app.inject({ url: "/metrics" });
    expect(r.statusCode).toBe(404);
    expect(r.body).not.toContain("gantry_");
  });

  it("never shows the database's error text on either /readyz, and logs it once", async () => {
    const fresh = await openTestApp("gantry-ops-closed-", {});
    const closedHealth = new ProcessHealth((line) => lines.push(line));
    closedHealth.phase = "running";
    closedHealth.database = fresh.service.database;
    await fresh.service.database.close();
    const api = await fresh.app.inject({ url: "/readyz" });
    expect(api.statusCode).toBe(503);
    expect(api.json()).toEqual({ status: "unavailable", reason: "database unreachable" });
    const own = await startOpsServer({
      host: "127.0.0.1",
      port: 0,
      health: closedHealth,
      registry: () => undefined,
      version: "t",
    });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${own.url}/readyz`);
        expect(await r.json()).toEqual({ status: "unavailable", reason: "database unreachable" });
      }
    } finally {
      await own.close();
      await fresh.close();
    }
    const logged = lines.filter((l) => l.startsWith("not ready: database:"));
    expect(logged).toHaveLength(1);
  });
});
