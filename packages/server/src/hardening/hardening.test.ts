import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestApp, type TestApp } from "../testing/test-app.js";
import { nestingDepth } from "./json-body.js";

describe("nestingDepth", () => {
  it.each([
    ["{}", 1],
    ['{"a":[1,{"b":[]}]}', 4],
    ['"[[[["', 0],
    ['{"a":"\\"[[["}', 1],
    ["[".repeat(50_000), 50_000],
  ])("%s", (text, depth) => {
    expect(nestingDepth(text)).toBe(depth);
  });
});

describe("security headers and malformed bodies", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp("gantry-hardening-", {});
  });
  afterAll(async () => {
    await t?.close();
  });

  it("sends a strict CSP, frame-ancestors 'none', nosniff and no referrer", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/v1/workflows" });
    expect(res.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(res.headers["content-security-policy"]).toContain("script-src 'self'");
    // No inline script and no script made from text (eval, new Function) may run.
    expect(res.headers["content-security-policy"]).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(res.headers["content-security-policy"]).not.toContain("'unsafe-eval'");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["referrer-policy"]).toBe("no-referrer");
  });

  it.each([
    ["a 50,000-deep body", "[".repeat(50_000) + "]".repeat(50_000)],
    ["a body that is not JSON", "{not json"],
  ])("answers 400 to %s", async (_name, payload) => {
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/workflows/none/runs",
      headers: { "content-type": "application/json" },
      payload,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/deeper than 64|not valid JSON/);
  });
});
