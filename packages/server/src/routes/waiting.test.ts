import { store } from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, type TestApp } from "../testing/test-app.js";

const boxed = `name: boxed
steps:
  build:
    runner: { type: docker, image: node:24, labels: [gpu] }
    run: "true"
  plain:
    run: "true"
`;

describe("a step that no worker can take", () => {
  let stack: TestApp;
  const heartbeat = (id: string, labels: string[]) =>
    store.upsertWorker(stack.service.database.db, {
      id,
      labels_json: JSON.stringify(labels),
      capacity: 4,
      hostname: id,
      started_at: Date.now(),
      heartbeat_at: Date.now(),
    });

  beforeAll(async () => {
    stack = await openTestApp("gantry-waiting-", { "boxed.yaml": boxed });
  });
  afterAll(() => stack.close());

  it("says what it waits for in the API, and warns while no live worker has those labels", async () => {
    await heartbeat("local-only", ["runner:local"]);
    const started = await stack.app.inject({
      method: "POST",
      url: "/api/v1/workflows/boxed/runs",
      payload: {},
    });
    expect(started.statusCode).toBe(201);
    const url = `/api/v1/runs/${started.json().id}`;
    const { steps } = (await stack.app.inject({ url })).json();
    expect(steps.build).toMatchObject({
      waiting_for: "waiting for a worker with gpu, runner:docker",
      warning:
        "no live worker has gpu, runner:docker: start one that does (gantry worker --runners docker --labels gpu, " +
        "or gantry up --runners docker --labels gpu), or cancel the run",
    });
    expect(steps.plain).toMatchObject({ waiting_for: "waiting for a worker with runner:local" });
    expect(steps.plain.warning).toBeUndefined();

    await heartbeat("gpu-box", ["gpu", "runner:docker", "runner:local"]);
    const after = (await stack.app.inject({ url })).json();
    expect(after.steps.build.waiting_for).toBe("waiting for a worker with gpu, runner:docker");
    expect(after.steps.build.warning).toBeUndefined();
  });
});
