import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceContext } from "../service/context.js";
import { sqliteContext, type TestContext } from "../testing/log-fixtures.js";
import { selectCounter } from "../testing/select-counter.js";
import { optionInputsOf } from "./start-check.js";

describe("optionInputsOf", () => {
  let base: TestContext;

  beforeAll(async () => {
    base = await sqliteContext();
  });
  afterAll(async () => {
    await base?.close();
  });

  it("answers requests that miss the cache at the same time with one read", async () => {
    const counter = selectCounter();
    const ctx: ServiceContext = {
      ...base,
      database: { ...base.database, db: base.database.db.withPlugin(counter.plugin) },
    };
    const answers = await Promise.all(Array.from({ length: 20 }, () => optionInputsOf(ctx, ["deploy"])));
    expect(answers.map((a) => a.get("deploy"))).toEqual(answers.map(() => []));
    expect(counter.reads).toBe(1);
    // Within the cache's time, no read at all.
    await optionInputsOf(ctx, ["deploy"]);
    expect(counter.reads).toBe(1);
  });
});
