// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.

import { triggerSpecs } from "@gantry/core";
import { describe, expect, it } from "vitest";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { sqliteDatabase } from "../testing/databases.js";
import { createRunInUnit } from "../testing/operations.js";
import { waitFor } from "../testing/wait-for.js";
import { deliverEvent } from "./deliver.js";
import { getTriggerStatus } from "./status.js";
import { syncTriggers } from "./sync.js";
import { triggerFixture } from "./trigger-suite.js";

const f = triggerFixture(sqliteDatabase);

const consumer = `name: consumer
inputs:
  order: {type: integer, required: true}
  note: {type: string, default: none}
on:
  rabbitmq:
    - url: amqp://127.0.0.1:5672
      queue: orders
      inputs: {order: "\${{ trigger.payload.id }}", note: "from \${{ trigger.queue }}"}
steps:
  a: {run: "true"}
`;

describe("event trigger entries and sync", () => {
  it("gives each entry an id, keeps the config apart from the input mapping", () => {
    const specs = triggerSpecs("wf", {
      on: {
        mqtt: { url: "mqtt://h", topic: "a/#", name: "sensors", inputs: { x: "${{ trigger.payload }}" } },
        nats: [
          { url: "nats://h", subject: "a" },
          { url: "nats://h", subject: "b" },
        ],
        workflow_run: { name: "build", result: ["success"] },
      },
    });
    expect(specs.map((s) => s.id)).toEqual(["wf:mqtt:sensors", "wf:nats:0", "wf:nats:1", "wf:workflow:0"]);
    expect(specs[0]).toMatchObject({
      kind: "mqtt",
      config: { url: "mqtt://h", topic: "a/#" },
      inputs: { x: "${{ trigger.payload }}" },
    });
    expect(specs[3]?.config).toEqual({ name: "build", result: ["success"] });
  });

  it("syncs the triggers table with the registered workflows", async () => {
    await f.register({ "consumer.yaml": consumer });
    const first = await withUnitOfWork(f.ctx, (tx) => syncTriggers(f.ctx, tx));
    expect(first.added).toEqual(["consumer:rabbitmq:0"]);
    const status = await f.status("consumer:rabbitmq:0");
    expect(status).toMatchObject({ workflow: "consumer", kind: "rabbitmq", state: "stopped", events: 0 });
    await f.register({ "consumer.yaml": consumer.replace("queue: orders", "queue: orders2") });
    expect((await withUnitOfWork(f.ctx, (tx) => syncTriggers(f.ctx, tx))).changed).toEqual([
      "consumer:rabbitmq:0",
    ]);
    await f.register({ "consumer.yaml": consumer.replace(/on:[\s\S]*steps:/, "steps:") });
    expect((await withUnitOfWork(f.ctx, (tx) => syncTriggers(f.ctx, tx))).removed).toEqual([
      "consumer:rabbitmq:0",
    ]);
  });
});

describe("delivering an event", () => {
  const target = {
    id: "consumer:rabbitmq:0",
    workflow: "consumer",
    kind: "rabbitmq" as const,
    inputs: { order: "${{ trigger.payload.id }}", note: "from ${{ trigger.queue }}" },
  };

  it("starts a run with the mapped inputs and the event as trigger; a repeated key starts none", async () => {
    await f.register({ "consumer.yaml": consumer });
    await withUnitOfWork(f.ctx, (tx) => syncTriggers(f.ctx, tx));
    const first = await deliverEvent(f.ctx, target, {
      payload: { id: 5 },
      meta: { queue: "orders" },
      key: "m1",
    });
    expect(first.status).toBe("started");
    const again = await deliverEvent(f.ctx, target, {
      payload: { id: 5 },
      meta: { queue: "orders" },
      key: "m1",
    });
    expect(again).toEqual({ status: "duplicate", runId: first.status === "started" ? first.runId : "" });
    const runs = await f.runs("consumer");
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      status: "queued",
      inputs: { order: 5, note: "from orders" },
      trigger: { type: "rabbitmq", trigger: "consumer:rabbitmq:0", payload: { id: 5 }, queue: "orders" },
    });
    expect(await f.status(target.id)).toMatchObject({ events: 1, failures: 0, lastRunId: runs[0]?.id });
  });

  it("records an event that cannot start a run as failed, with its checkpoint", async () => {
    const failed = await deliverEvent(f.ctx, target, {
      payload: { id: "many" },
      meta: { queue: "orders" },
      key: "m2",
      checkpoint: { position: "2" },
    });
    expect(failed).toEqual({ status: "failed", error: "input 'order': must be an integer, got 'many'" });
    expect(await f.checkpoints(target.id)).toEqual(new Map([["position", "2"]]));
    expect(await deliverEvent(f.ctx, target, { payload: { id: "many" }, meta: {}, key: "m2" })).toEqual({
      status: "duplicate",
      runId: null,
    });
    expect((await f.status(target.id)).failures).toBe(1);
  });
});

describe("events that start nothing of their own, or start with defaults", () => {
  const lenient = `name: lenient
inputs:
  order: {type: integer, default: 0}
on:
  rabbitmq:
    - url: amqp://127.0.0.1:5672
      queue: orders
      inputs: {order: "\${{ trigger.payload.id }}"}
steps:
  a: {run: "true"}
`;
  const target = {
    id: "lenient:rabbitmq:0",
    workflow: "lenient",
    kind: "rabbitmq" as const,
    inputs: { order: "${{ trigger.payload.id }}" },
  };

  it("notes a dropped duplicate and a text payload that left an input to its default", async () => {
    await f.register({ "lenient.yaml": lenient });
    await withUnitOfWork(f.ctx, (tx) => syncTriggers(f.ctx, tx));
    const first = await deliverEvent(f.ctx, target, { payload: "not json", meta: {}, key: "t1" });
    expect(first.status).toBe("started");
    const runId = first.status === "started" ? first.runId : "";
    expect((await deliverEvent(f.ctx, target, { payload: "not json", meta: {}, key: "t1" })).status).toBe(
      "duplicate",
    );
    const status = await getTriggerStatus(f.ctx, target.id);
    expect(status.notes).toEqual([
      {
        kind: "duplicate",
        key: "t1",
        runId,
        message: `dropped: event t1 was delivered before and started run ${runId}`,
        at: expect.any(Number),
      },
      {
        kind: "unmapped",
        key: "t1",
        runId,
        message:
          "input 'order' found nothing in the event (the payload is text, not JSON) and took its default",
        at: expect.any(Number),
      },
    ]);
    // An event whose mapping finds everything leaves no note.
    await deliverEvent(f.ctx, target, { payload: { id: 3 }, meta: {}, key: "t2" });
    expect((await getTriggerStatus(f.ctx, target.id)).notes).toHaveLength(2);
  });
});

describe("workflow chains (on.workflow)", () => {
  it("starts a run when another workflow finishes with a listed result, its outputs as the payload", async () => {
    await f.register({
      "build.yaml": `name: build
inputs: {fail: {type: boolean, default: false}}
steps:
  b: {run: 'if [ "\${{ inputs.fail }}" = true ]; then exit 1; fi; echo "image=app:1" >> "$GANTRY_OUTPUT"'}
outputs: {image: "\${{ steps.b.outputs.image }}"}
`,
      "deploy.yaml": `name: deploy
inputs: {image: {type: string, required: true}}
on:
  workflow: {name: build, result: [success], inputs: {image: "\${{ trigger.payload.image }}"}}
steps:
  d: {run: "echo deploy"}
`,
      "notify.yaml": `name: notify
inputs: {result: {type: string, required: true}}
on:
  workflow: [{name: build, result: [failure], inputs: {result: "\${{ trigger.result }}"}}]
steps:
  n: {run: "true"}
`,
    });
    await f.listeners();
    await f.waitForState("deploy:workflow:0", "connected");
    await f.waitForState("notify:workflow:0", "connected");
    await f.h.worker();
    const ok = await createRunInUnit(f.ctx, { workflow: "build" });
    await f.h.waitForRun(ok.id, ["succeeded"]);
    const bad = await createRunInUnit(f.ctx, { workflow: "build", inputs: { fail: true } });
    await f.h.waitForRun(bad.id, ["failed"]);
    const deploys = await f.waitForRuns("deploy", 1);
    expect(deploys[0]).toMatchObject({
      inputs: { image: "app:1" },
      trigger: { type: "workflow", payload: { image: "app:1" }, run_id: ok.id, result: "success", depth: 1 },
    });
    const notes = await f.waitForRuns("notify", 1);
    expect(notes[0]).toMatchObject({ inputs: { result: "failure" }, trigger: { run_id: bad.id } });
    // Restarting the listeners resumes from the checkpoint: nothing is started twice.
    await f.stopAll();
    await f.listeners();
    await f.waitForState("deploy:workflow:0", "connected");
    const again = await createRunInUnit(f.ctx, { workflow: "build" });
    await f.h.waitForRun(again.id, ["succeeded"]);
    const after = await f.waitForRuns("deploy", 2);
    expect(after.map((r) => r.trigger.run_id)).toEqual([ok.id, again.id]);
    expect(await f.runs("notify")).toHaveLength(1);
  });
});

describe("a workflow that starts itself", () => {
  it("stops after 10 links of the chain", async () => {
    await f.register({
      "loop.yaml": `name: loop
steps:
  a: {run: "true"}
`,
    });
    await withUnitOfWork(f.ctx, (tx) => syncTriggers(f.ctx, tx));
    await f.h.worker();
    // The listener as TriggerListeners makes it, with a short poll (not offered in YAML).
    const { TriggerListener } = await import("./listener.js");
    const { sourceFor } = await import("./event-sources/index.js");
    const definition = {
      id: "loop:workflow:0",
      workflow: "loop",
      kind: "workflow" as const,
      config: { name: "loop", result: ["success"], poll_ms: 20 },
      inputs: {},
    };
    const { setTriggerCheckpoints } = await import("../store/queries/trigger-checkpoints.js");
    await setTriggerCheckpoints(
      f.h.database.db,
      definition.id,
      { finished_at: String(Date.now()) },
      Date.now(),
    );
    const listener = new TriggerListener(f.ctx, definition, () => sourceFor("workflow", definition.config), {
      holder: "me",
      onEvent: (event) => f.events.push(event),
    });
    listener.start();
    try {
      await createRunInUnit(f.ctx, { workflow: "loop" });
      await waitFor(
        () => f.events.some((e) => e.type === "error" && /link 11 of a chain/.test(e.error.message)),
        {
          timeoutMs: 30_000,
          what: "the chain to stop",
        },
      );
      const runs = await f.runs("loop");
      expect(runs).toHaveLength(11);
      expect(runs.map((r) => r.trigger.depth ?? 0)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    } finally {
      await listener.stop();
    }
  });
});
