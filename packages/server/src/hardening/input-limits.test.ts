import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registeredRoutes } from "../auth/hook.js";
import { DEFAULT_AUTH } from "../auth/types.js";
import { openTestApp, type TestApp } from "../testing/test-app.js";
import { unboundedInputs } from "./input-limits.js";

describe("unboundedInputs", () => {
  it("names a string without maxLength, a list without maxItems and an undescribed path parameter", () => {
    expect(
      unboundedInputs("/x/:id/:name", {
        params: { type: "object", properties: { id: { type: "string", maxLength: 64 } } },
        querystring: {
          type: "object",
          properties: {
            status: { type: "string" },
            nullable: { type: ["string", "null"] },
            kind: { type: "string", enum: ["a", "b"] },
            tags: { type: "array", items: { type: "string", maxLength: 10 } },
            limit: { type: "integer", maximum: 10 },
            labels: { type: "object", additionalProperties: { type: "string" } },
          },
        },
      }),
    ).toEqual([
      "querystring.status",
      "querystring.nullable",
      "querystring.tags[]",
      "querystring.labels.*",
      "params.name",
    ]);
  });
});

describe("every route's inputs have a size limit", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await openTestApp("gantry-input-limits-", {}, { auth: { ...DEFAULT_AUTH, mode: "keys" } });
  });
  afterAll(() => t?.close());

  it("has a maxLength on every string and a maxItems on every list it takes from the URL", () => {
    const routes = registeredRoutes(t.app).filter((r) => r.method !== "HEAD");
    expect(routes.length).toBeGreaterThan(20);
    const unbounded = routes.flatMap((r) =>
      unboundedInputs(r.url, r.schema).map((where) => `${r.method} ${r.url}: ${where}`),
    );
    expect(unbounded, "give each of these a maxLength (strings) or maxItems (lists)").toEqual([]);
  });
});
