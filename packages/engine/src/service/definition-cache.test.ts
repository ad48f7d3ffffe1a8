import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { putBundle } from "../store/queries/bundles.js";
import { sqliteContext, type TestContext } from "../testing/log-fixtures.js";
import { selectCounter } from "../testing/select-counter.js";
import { DefinitionCache } from "./definition-cache.js";

describe("DefinitionCache", () => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await sqliteContext();
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it("reads a revision once for callers that ask while it is being read, and never again", async () => {
    const counter = selectCounter();
    const db = ctx.database.db.withPlugin(counter.plugin);
    const definition = { workflow: { name: "w", steps: {} }, actions: {} };
    await putBundle(ctx.database.db, "rev-1", JSON.stringify(definition), 1);
    const cache = new DefinitionCache();
    const all = await Promise.all(Array.from({ length: 20 }, () => cache.at(db, "rev-1")));
    expect(all.every((d) => d === all[0])).toBe(true);
    expect(all[0]).toEqual(definition);
    expect(counter.reads).toBe(1);
    await cache.at(db, "rev-1");
    expect(counter.reads).toBe(1);
    await expect(cache.at(db, "rev-missing")).rejects.toThrow("workflow revision rev-missing is missing");
  });
});
