import { describe, expect, it } from "vitest";
import type { LeaseLike } from "../scheduler/lease.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { sqliteDatabase } from "../testing/databases.js";
import { waitFor } from "../testing/wait-for.js";
import type { EventSource, SourceContext } from "./event-source.js";
import { TriggerListener } from "./listener.js";
import { syncTriggers } from "./sync.js";
import { triggerFixture } from "./trigger-suite.js";

const f = triggerFixture(sqliteDatabase);
const definition = {
  id: "w:mqtt:0",
  workflow: "w",
  kind: "mqtt" as const,
  config: { url: "mqtt://x" },
  inputs: {},
};

async function registerW() {
  await f.register({
    "w.yaml": 'name: w\non:\n  mqtt: {url: "mqtt://x", topic: t}\nsteps:\n  a: {run: "true"}\n',
  });
  await withUnitOfWork(f.ctx, (tx) => syncTriggers(f.ctx, tx));
}

describe("a trigger's listener", () => {
  it("reconnects with exponential backoff and jitter, and shows the error meanwhile", async () => {
    await registerW();
    const attempts: number[] = [];
    let stopped = 0;
    const listener = new TriggerListener(
      f.ctx,
      definition,
      async () => async () => {
        attempts.push(Date.now());
        if (attempts.length <= 4) throw new Error(`refused ${attempts.length}`);
        return { stop: async () => void stopped++ } satisfies EventSource;
      },
      { holder: "me", backoffMs: 40, maxBackoffMs: 1_000 },
    );
    listener.start();
    await waitFor(() => listener.status === "connected", { what: "the fifth attempt to connect" });
    // Delays of 40, 80, 160, 320 ms, each times 0.5 to 1.
    const gaps = attempts.slice(1).map((t, i) => t - (attempts[i] as number));
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(40 * 2 ** i * 0.5 - 5);
    });
    const status = await f.status(definition.id);
    expect(status).toMatchObject({ state: "connected", holder: "me", lastError: "refused 4" });
    await listener.stop();
    expect(stopped).toBe(1);
    expect((await f.status(definition.id)).state).toBe("stopped");
  });

  it("reconnects when a connected source reports its connection lost", async () => {
    await registerW();
    const contexts: SourceContext[] = [];
    const listener = new TriggerListener(
      f.ctx,
      definition,
      async () => async (context) => {
        contexts.push(context);
        return { stop: async () => {} };
      },
      { holder: "me", backoffMs: 10 },
    );
    listener.start();
    await waitFor(() => listener.status === "connected");
    contexts[0]?.lost(new Error("broker went away"));
    await waitFor(() => contexts.length === 2 && listener.status === "connected", {
      what: "a second connection",
    });
    expect((await f.status(definition.id)).lastError).toBe("broker went away");
    await listener.stop();
  });

  it("consumes only while it holds the lease, and stops consuming when another server takes it", async () => {
    await registerW();
    let holder = "other";
    const lease: LeaseLike = {
      acquire: async (me, _now, expiresAt) =>
        holder === me ? { holder: me, expiresAt } : { holder, expiresAt: Date.now() + 50 },
      release: async () => {},
    };
    let running = 0;
    const listener = new TriggerListener(
      f.ctx,
      definition,
      async () => async () => {
        running++;
        return { stop: async () => void running-- };
      },
      { holder: "me", lease, leaseMs: 100 },
    );
    listener.start();
    await waitFor(() => listener.status === "standby");
    expect(running).toBe(0);
    holder = "me";
    await waitFor(() => listener.status === "connected", { what: "the lease to be taken" });
    expect(running).toBe(1);
    holder = "other";
    await waitFor(() => listener.status === "standby", { what: "the lease to be lost" });
    expect(running).toBe(0);
    await listener.stop();
  });
});
