import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_AUTH } from "../auth/types.js";
import { openTestApp, type TestApp } from "../testing/test-app.js";

const INDEX = "<!doctype html><title>Gantry</title><div id=root></div>";
const SCRIPT = "console.log('gantry ui');".repeat(20);

describe("serving the web UI", () => {
  let stack: TestApp;
  let app: FastifyInstance;
  let uiDir: string;

  beforeAll(async () => {
    const ui = mkdtempSync(path.join(os.tmpdir(), "gantry-ui-dist-"));
    uiDir = ui;
    mkdirSync(path.join(ui, "assets"), { recursive: true });
    writeFileSync(path.join(ui, "index.html"), INDEX);
    writeFileSync(path.join(ui, "assets", "main-abc123.js"), SCRIPT);
    writeFileSync(path.join(ui, "assets", "main-abc123.js.gz"), gzipSync(SCRIPT));
    stack = await openTestApp("gantry-ui-", {}, { uiDir: ui });
    app = stack.app;
  });

  afterAll(async () => {
    await stack.close();
    rmSync(uiDir, { recursive: true, force: true });
  });

  it("serves index.html at / and at every page's URL, so shared links open", async () => {
    for (const url of ["/", "/runs/0b7c", "/workflows/deploy?x=1", "/schedules"]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/html/);
      expect(res.body).toBe(INDEX);
    }
  });

  it("sends hashed assets compressed when the browser accepts it, cached for good", async () => {
    const res = await app.inject({ url: "/assets/main-abc123.js", headers: { "accept-encoding": "gzip" } });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-encoding"]).toBe("gzip");
    expect(res.headers["cache-control"]).toContain("immutable");
    expect(res.rawPayload.length).toBeLessThan(SCRIPT.length);
    const plain = await app.inject({ url: "/assets/main-abc123.js" });
    expect(plain.body).toBe(SCRIPT);
  });

  it("serves the page to a browser that is not signed in yet: the page itself asks /auth/me", async () => {
    const guarded = await openTestApp(
      "gantry-ui-auth-",
      {},
      { uiDir, auth: { ...DEFAULT_AUTH, mode: "keys" } },
    );
    try {
      for (const url of ["/", "/runs/0b7c", "/assets/main-abc123.js"]) {
        expect((await guarded.app.inject({ url })).statusCode, url).toBe(200);
      }
      expect((await guarded.app.inject({ url: "/api/v1/runs" })).statusCode).toBe(401);
    } finally {
      await guarded.close();
    }
  });

  it("keeps unknown API, auth and asset paths 404 in JSON, not the page", async () => {
    for (const url of ["/api/v1/nothing", "/auth/nothing", "/assets/missing.js"]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers["content-type"]).toMatch(/json/);
    }
  });
});
