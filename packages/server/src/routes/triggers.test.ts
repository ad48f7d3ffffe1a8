// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import { createRun, type ServiceContext, TriggerListeners, withUnitOfWork } from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../../engine/src/testing/wait-for.js";
import { openTestApp, type TestApp } from "../testing/test-app.js";

const WORKFLOWS = {
  "build.yaml": `name: build
steps:
  b: {run: "true"}
outputs: {image: app:1}
`,
  "deploy.yaml": `name: deploy
inputs: {image: {type: string, required: true}}
on:
  workflow: {name: build, inputs: {image: "\${{ trigger.payload.image }}"}}
  rabbitmq: {name: orders, url: "amqp://guest:s3cret@127.0.0.1:1/", queue: orders, inputs: {image: x}}
steps:
  d: {run: "true"}
`,
};

describe("triggers API", () => {
  let service: ServiceContext;
  let app: FastifyInstance;
  let stack: TestApp;
  let listeners: TriggerListeners;

  beforeAll(async () => {
    stack = await openTestApp("gantry-triggers-api-", WORKFLOWS);
    ({ service, app } = stack);
    listeners = new TriggerListeners(service, { id: "server-1", backoffMs: 50, maxBackoffMs: 200 });
    await listeners.start();
  });

  afterAll(async () => {
    await listeners.stop();
    await stack.close();
  });

  it("lists every trigger with its state, last event and last error; passwords never shown", async () => {
    // A chain starts from runs that finish after it first connected.
    await waitFor(async () => {
      const res = await app.inject({ url: "/api/v1/triggers/deploy:workflow:0" });
      return (res.json() as { connected: boolean }).connected;
    });
    const run = await withUnitOfWork(service, (tx) => createRun(service, tx, { workflow: "build" }));
    await service.database.db
      .updateTable("runs")
      .set({ status: "succeeded", finished_at: Date.now(), outputs_json: JSON.stringify({ image: "app:1" }) })
      .where("id", "=", run.id)
      .execute();
    const body = await waitFor(
      async () => {
        const res = await app.inject({ url: "/api/v1/triggers?recent=5" });
        const json = res.json() as { triggers: Array<Record<string, unknown>> };
        const chain = json.triggers.find((t) => t.id === "deploy:workflow:0");
        const amqp = json.triggers.find((t) => t.id === "deploy:rabbitmq:orders");
        return chain?.last_run_id && amqp?.last_error ? { json, raw: res.body } : undefined;
      },
      { timeoutMs: 10_000, what: "the chain's run and the broker's error" },
    );
    expect(body.raw).not.toContain("s3cret");
    const [amqp, chain] = body.json.triggers;
    expect(chain).toMatchObject({
      id: "deploy:workflow:0",
      workflow: "deploy",
      kind: "workflow",
      config: { name: "build" },
      inputs: { image: "${{ trigger.payload.image }}" },
      state: "connected",
      connected: true,
      holder: "server-1",
      connected_at: expect.any(String),
      last_event_at: expect.any(String),
      last_error: null,
      events: 1,
      failures: 0,
      recent: [{ key: `run:${run.id}`, status: "started", run_id: chain?.last_run_id, error: null }],
    });
    expect(amqp).toMatchObject({
      id: "deploy:rabbitmq:orders",
      kind: "rabbitmq",
      config: { url: "amqp://guest:***@127.0.0.1:1/", queue: "orders" },
      state: expect.stringMatching(/^(reconnecting|connecting)$/),
      connected: false,
      last_error: expect.stringMatching(/ECONNREFUSED/),
      last_error_at: expect.any(String),
      events: 0,
      recent: [],
    });
  });

  it("filters by workflow, shows one trigger with its events, and 404s an unknown one", async () => {
    const none = await app.inject({ url: "/api/v1/triggers?workflow=build" });
    expect(none.json()).toEqual({ triggers: [] });
    const one = await app.inject({ url: "/api/v1/triggers/deploy:workflow:0" });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id: "deploy:workflow:0", recent: [{ status: "started" }] });
    const missing = await app.inject({ url: "/api/v1/triggers/nope" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: "unknown trigger 'nope'" });
  });
});
