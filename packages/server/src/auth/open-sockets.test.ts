import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { openTestApp, type TestApp } from "../testing/test-app.js";
import { createApiKey } from "./keys.js";
import { CREDENTIALS_ENDED } from "./open-sockets.js";
import { DEFAULT_AUTH } from "./types.js";

const HELLO = "name: hello\non: {manual: {}}\nsteps:\n  greet: {run: echo hi}\n";

describe("ending credentials closes their WebSockets", () => {
  let t: TestApp;
  let base: string;
  let admin: string;
  beforeAll(async () => {
    t = await openTestApp(
      "gantry-sockets-",
      { "hello.yaml": HELLO },
      { auth: { ...DEFAULT_AUTH, mode: "keys" } },
    );
    await t.app.listen({ host: "127.0.0.1", port: 0 });
    base = `127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    admin = (
      await createApiKey(
        t.service.database.db,
        { name: "root", role: "admin", createdBy: "test" },
        Date.now(),
      )
    ).key;
  });
  afterAll(() => t?.close());

  it("revoking a key closes its open log stream within a second", async () => {
    const viewer = await createApiKey(
      t.service.database.db,
      { name: "watcher", role: "viewer", createdBy: "test" },
      Date.now(),
    );
    // No worker: the run stays queued, so its log stream stays open until something closes it.
    const run = await fetch(`http://${base}/api/v1/workflows/hello/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: "{}",
    });
    const { id } = (await run.json()) as { id: string };
    const socket = new WebSocket(`ws://${base}/api/v1/runs/${id}/logs`, {
      headers: { authorization: `Bearer ${viewer.key}` },
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    const closed = new Promise<{ code: number; at: number }>((resolve) =>
      socket.once("close", (code) => resolve({ code, at: Date.now() })),
    );
    const revokedAt = Date.now();
    const revoke = await fetch(`http://${base}/api/v1/keys/${viewer.view.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(revoke.status).toBe(200);
    const { code, at } = await closed;
    expect(code).toBe(CREDENTIALS_ENDED);
    expect(at - revokedAt).toBeLessThan(1_000);
  });
});
