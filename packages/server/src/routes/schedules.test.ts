import { Scheduler, type ServiceContext } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, type TestApp } from "../testing/test-app.js";

const T0 = Date.parse("2026-03-02T10:00:00Z");

const NIGHTLY = `
name: nightly
inputs:
  env: {type: string, default: dev}
on:
  schedule:
    - {cron: "30 2 * * *", name: backup, timezone: Europe/Berlin, inputs: {env: prod}, concurrency: forbid, starting_deadline: 10m}
    - {cron: "*/15 * * * *"}
steps:
  a: {run: "true"}
`;

describe("schedules API", () => {
  let service: ServiceContext;
  let app: FastifyInstance;
  let stack: TestApp;
  let scheduler: Scheduler;
  const clock = { t: T0 };

  beforeAll(async () => {
    stack = await openTestApp("gantry-schedules-api-", { "nightly.yaml": NIGHTLY }, { now: () => clock.t });
    ({ service, app } = stack);
    scheduler = new Scheduler(service, { timer: { set: () => undefined, clear: () => {} } });
    await scheduler.start();
  });

  afterAll(async () => {
    await scheduler.stop();
    await stack.close();
  });

  it("lists every schedule with its expression, time zone, state and next fire times", async () => {
    const res = await app.inject({ url: "/api/v1/schedules?next=3" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      schedules: [
        {
          id: "nightly:backup",
          workflow: "nightly",
          cron: "30 2 * * *",
          timezone: "Europe/Berlin",
          state: "active",
          inputs: { env: "prod" },
          concurrency: "forbid",
          catch_up: "latest",
          starting_deadline_seconds: 600,
          next: ["2026-03-03T01:30:00.000Z", "2026-03-04T01:30:00.000Z", "2026-03-05T01:30:00.000Z"],
          last_fire: null,
        },
        {
          id: "nightly:1",
          workflow: "nightly",
          cron: "*/15 * * * *",
          timezone: "UTC",
          state: "active",
          inputs: {},
          concurrency: "allow",
          catch_up: "latest",
          starting_deadline_seconds: null,
          next: ["2026-03-02T10:15:00.000Z", "2026-03-02T10:30:00.000Z", "2026-03-02T10:45:00.000Z"],
          last_fire: null,
        },
      ],
    });
    expect((await app.inject({ url: "/api/v1/schedules?workflow=other" })).json()).toEqual({ schedules: [] });
    expect((await app.inject({ url: "/api/v1/schedules?next=1000" })).statusCode).toBe(400);
  });

  it("suspends and resumes; the state shows, and next times only while active", async () => {
    const suspended = await app.inject({ method: "POST", url: "/api/v1/schedules/nightly:1/suspend" });
    expect(suspended.statusCode).toBe(200);
    expect(suspended.json()).toMatchObject({ id: "nightly:1", state: "suspended", next: [] });
    const resumed = await app.inject({ method: "POST", url: "/api/v1/schedules/nightly%3A1/resume" });
    expect(resumed.json().state).toBe("active");
    expect(resumed.json().next[0]).toBe("2026-03-02T10:15:00.000Z");
    const missing = await app.inject({ method: "POST", url: "/api/v1/schedules/nope:0/suspend" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: "unknown schedule 'nope:0'" });
  });

  it("fires now (a manual fire) and shows each fire in the history, newest first, paged", async () => {
    clock.t = T0 + 15 * 60_000;
    await scheduler.tick(); // the 10:15 cron fire
    clock.t = T0 + 16 * 60_000;
    const fired = await app.inject({ method: "POST", url: "/api/v1/schedules/nightly:1/fire" });
    expect(fired.statusCode).toBe(201);
    const { run_id: runId, status, scheduled_time: at } = fired.json();
    expect(status).toBe("queued");
    expect(at).toBe("2026-03-02T10:16:00.000Z");
    const run = (await app.inject({ url: `/api/v1/runs/${runId}` })).json();
    expect(run.trigger).toEqual({
      type: "schedule",
      schedule: "nightly:1",
      scheduled_time: "2026-03-02T10:16:00.000Z",
      manual: true,
    });

    const history = (await app.inject({ url: "/api/v1/schedules/nightly:1/fires" })).json();
    expect(history.next_cursor).toBeNull();
    expect(history.fires).toMatchObject([
      { scheduled_time: "2026-03-02T10:16:00.000Z", kind: "manual", status: "fired", run_id: runId },
      { scheduled_time: "2026-03-02T10:15:00.000Z", kind: "cron", status: "fired", reason: null },
    ]);
    const cronRun = (await app.inject({ url: `/api/v1/runs/${history.fires[1].run_id}` })).json();
    expect(cronRun.trigger).toEqual({
      type: "schedule",
      schedule: "nightly:1",
      scheduled_time: "2026-03-02T10:15:00.000Z",
    });
    const page = (await app.inject({ url: "/api/v1/schedules/nightly:1/fires?limit=1" })).json();
    expect(page.fires).toHaveLength(1);
    expect(page.next_cursor).toBe("2026-03-02T10:16:00.000Z");
    const rest = (
      await app.inject({ url: `/api/v1/schedules/nightly:1/fires?before=${page.next_cursor}` })
    ).json();
    expect(rest.fires.map((x: { kind: string }) => x.kind)).toEqual(["cron"]);

    const listed = (await app.inject({ url: "/api/v1/schedules/nightly:1?next=1" })).json();
    expect(listed.last_fire).toMatchObject({ kind: "manual", run_id: runId });
    expect(listed.next).toEqual(["2026-03-02T10:30:00.000Z"]);
    expect((await app.inject({ method: "POST", url: "/api/v1/schedules/nope:0/fire" })).statusCode).toBe(404);
    expect((await app.inject({ url: "/api/v1/schedules/nope:0/fires" })).statusCode).toBe(404);
  });

  it("is in the OpenAPI document", async () => {
    const doc = (await app.inject({ url: "/api/v1/openapi.json" })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/schedules",
        "/api/v1/schedules/{id}",
        "/api/v1/schedules/{id}/suspend",
        "/api/v1/schedules/{id}/resume",
        "/api/v1/schedules/{id}/fire",
        "/api/v1/schedules/{id}/fires",
      ]),
    );
  });
});
