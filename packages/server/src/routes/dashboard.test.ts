import { createRun, type ServiceContext, store, withUnitOfWork } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, type TestApp } from "../testing/test-app.js";

const HOUR = 3_600_000;
const NOW = Date.parse("2026-05-10T12:30:00Z");

const flow = (name: string) => `
name: ${name}
steps:
  a: {run: "true"}
`;

describe("what the UI reads: dashboard, last runs, trigger filter", () => {
  let stack: TestApp;
  let app: FastifyInstance;
  let service: ServiceContext;
  const clock = { t: NOW };

  /** A run created at `at` with `trigger`, then moved to `status` as a worker would. */
  async function runAt(workflow: string, at: number, status: string, trigger = "api"): Promise<string> {
    clock.t = at;
    const { id } = await withUnitOfWork(service, (tx) =>
      createRun(service, tx, { workflow, inputs: {}, trigger: { type: trigger } }),
    );
    await store.updateRun(service.database.db, id, {
      status,
      started_at: at + 10,
      finished_at: status === "running" ? null : at + 1000,
    });
    return id;
  }

  beforeAll(async () => {
    stack = await openTestApp(
      "gantry-dashboard-",
      { "build.yaml": flow("build"), "deploy.yaml": flow("deploy") },
      {
        now: () => clock.t,
      },
    );
    ({ app, service } = stack);
    await runAt("build", NOW - 30 * HOUR, "failed"); // older than 24 h: not in the chart
    await runAt("build", NOW - 5 * HOUR, "succeeded");
    await runAt("build", NOW - 5 * HOUR + 60_000, "failed", "schedule");
    await runAt("deploy", NOW - 2 * HOUR, "timed_out", "push");
    await runAt("deploy", NOW - 60_000, "running", "schedule");
    clock.t = NOW;
  });

  afterAll(() => stack.close());

  it("counts the last 24 hours per hour and status, lists what runs and what failed", async () => {
    const res = await app.inject({ url: "/api/v1/dashboard" });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.hours).toHaveLength(24);
    expect(body.hours[0].start).toBe("2026-05-09T13:00:00.000Z");
    expect(body.hours[23].start).toBe("2026-05-10T12:00:00.000Z");
    const at = (iso: string) => body.hours.find((h: { start: string }) => h.start === iso)?.counts;
    expect(at("2026-05-10T07:00:00.000Z")).toEqual({ succeeded: 1, failed: 1 });
    expect(at("2026-05-10T10:00:00.000Z")).toEqual({ timed_out: 1 });
    expect(at("2026-05-10T12:00:00.000Z")).toEqual({ running: 1 });
    expect(body.totals).toEqual({ succeeded: 1, failed: 1, timed_out: 1, running: 1 });
    expect(body.running.map((r: { workflow: string }) => r.workflow)).toEqual(["deploy"]);
    // Newest first, timed-out runs count as failures, and the old failure is still listed.
    expect(body.failures.map((r: { status: string }) => r.status)).toEqual(["timed_out", "failed", "failed"]);
    expect(body.queue_depth).toBe(5);
    expect(body.next_fires).toEqual([]);
  });

  it("gives each workflow its newest run", async () => {
    const { workflows } = (await app.inject({ url: "/api/v1/workflows" })).json();
    const last = Object.fromEntries(
      workflows.map((w: { name: string; last_run: { status: string } | null }) => [
        w.name,
        w.last_run?.status,
      ]),
    );
    expect(last).toEqual({ build: "failed", deploy: "running" });
  });

  it("filters runs by trigger type", async () => {
    const { runs } = (await app.inject({ url: "/api/v1/runs?trigger=schedule" })).json();
    expect(
      runs.map((r: { workflow: string; trigger: { type: string } }) => [r.workflow, r.trigger.type]),
    ).toEqual([
      ["deploy", "schedule"],
      ["build", "schedule"],
    ]);
    const none = (await app.inject({ url: "/api/v1/runs?trigger=webhook" })).json();
    expect(none.runs).toEqual([]);
  });
});
