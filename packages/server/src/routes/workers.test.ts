import { store } from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, type TestApp } from "../testing/test-app.js";

const NOW = Date.parse("2026-05-10T12:00:00Z");

describe("GET /api/v1/workers", () => {
  let stack: TestApp;

  beforeAll(async () => {
    stack = await openTestApp("gantry-workers-", {}, { now: () => NOW });
    const { db } = stack.service.database;
    const worker = (id: string, heartbeatAgo: number, labels: string[]) =>
      store.upsertWorker(db, {
        id,
        labels_json: JSON.stringify(labels),
        capacity: 4,
        hostname: `host-${id}`,
        started_at: NOW - 3_600_000,
        heartbeat_at: NOW - heartbeatAgo,
      });
    await worker("busy", 5_000, ["gpu", "runner:local", "runner:docker"]);
    await worker("quiet", 120_000, ["runner:local"]);
    await worker("yesterday", 2 * 86_400_000, ["runner:local"]);
  });

  afterAll(() => stack.close());

  it("lists the fleet of the last day, newest heartbeat first, with runner types and state", async () => {
    const res = await stack.app.inject({ url: "/api/v1/workers" });
    expect(res.statusCode).toBe(200);
    const { workers } = res.json();
    expect(workers).toEqual([
      {
        id: "busy",
        hostname: "host-busy",
        kind: "worker",
        version: null,
        labels: ["gpu", "runner:local", "runner:docker"],
        runners: ["local", "docker"],
        capacity: 4,
        running: 0,
        state: "online",
        started_at: "2026-05-10T11:00:00.000Z",
        heartbeat_at: "2026-05-10T11:59:55.000Z",
      },
      expect.objectContaining({ id: "quiet", state: "silent", runners: ["local"] }),
    ]);
  });
});
