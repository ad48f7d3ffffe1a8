import { createHmac } from "node:crypto";
import http from "node:http";
import { store } from "@gantry/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_AUTH } from "../auth/types.js";
import { openTestApp, type TestApp } from "../testing/test-app.js";

const SECRET = "cost-secret-0123456789";
const MB = 1024 * 1024;

const WORKFLOW = `name: bulk
on:
  webhook:
    - name: big
      secret: ref+env://GANTRY_TEST_COST_SECRET
      max_body: ${25 * MB}
    - name: small
      secret: ref+env://GANTRY_TEST_COST_SECRET
steps:
  t:
    run: echo hi
`;

/** The signature headers for `body`, as a caller with the secret makes them. */
function signed(body: Buffer): Record<string, string> {
  const now = String(Math.floor(Date.now() / 1000));
  const mac = createHmac("sha256", SECRET).update(`${now}.`).update(body).digest("hex");
  return { "x-gantry-timestamp": now, "x-gantry-signature-256": `sha256=${mac}` };
}

/**
 * POSTs `size` bytes streamed from one reused 64 kB chunk (so the sender holds no copy of the body) and
 * answers the status; a server that hangs up early (413) ends the request without an error.
 */
function postStream(base: string, path: string, size: number, headers: Record<string, string>) {
  const chunk = Buffer.alloc(64 * 1024, "a");
  return new Promise<number>((resolve, reject) => {
    const req = http.request(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(size), ...headers },
    });
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += piece.length;
        if (!req.write(piece)) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

describe("webhook bodies are checked as they stream in, and bad ones cost only their reading", () => {
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    process.env.GANTRY_TEST_COST_SECRET = SECRET;
    t = await openTestApp(
      "gantry-hook-cost-",
      { "bulk.yaml": WORKFLOW },
      { auth: { ...DEFAULT_AUTH, mode: "keys" } },
    );
    base = await t.app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await t.close();
    delete process.env.GANTRY_TEST_COST_SECRET;
  });

  it("20 parallel 20 MB bodies with a wrong signature: 401 each, memory within 150 MB, /healthz answers meanwhile", async () => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const wrong = signed(Buffer.from("not this body"));
    const posts = Array.from({ length: 20 }, () =>
      postStream(base, "/api/v1/hooks/bulk/big", 20 * MB, wrong),
    );
    // While the bodies stream in, the server still answers its health check.
    const health: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(200);
      health.push(performance.now() - started);
    }
    const statuses = await Promise.all(posts);
    clearInterval(sampler);
    expect(statuses).toEqual(Array(20).fill(401));
    // 400 MB went through; a server that kept the bodies would have grown by that much.
    expect((peak - before) / MB).toBeLessThan(150);
    expect(Math.max(...health)).toBeLessThan(5_000);
    const runs = await t.service.database.db.selectFrom("runs").select("id").execute();
    expect(runs).toEqual([]);
  });

  it("a correctly signed 3 MB body (kept on disk while it is checked) starts a run with it as the payload", async () => {
    const body = Buffer.from(JSON.stringify({ blob: "x".repeat(3 * MB) }));
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/hooks/bulk/big",
      headers: { "content-type": "application/json", ...signed(body) },
      payload: body,
    });
    expect(res.statusCode).toBe(202);
    const row = await store.getRun(t.service.database.db, res.json().run_id);
    expect(JSON.parse(row?.trigger_json ?? "{}").payload.blob).toHaveLength(3 * MB);
  });

  it("a body over the hook's limit answers 413 (1 MB unless the hook sets max_body)", async () => {
    const body = Buffer.alloc(MB + 1, "b");
    expect(await postStream(base, "/api/v1/hooks/bulk/small", body.length, signed(body))).toBe(413);
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/hooks/bulk/big",
      headers: { "content-type": "application/json", ...signed(Buffer.from("{}")) },
      payload: Buffer.alloc(26 * MB, "c"),
    });
    expect(res.statusCode).toBe(413);
  });
});
