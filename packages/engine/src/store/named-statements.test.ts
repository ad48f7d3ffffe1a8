import { describe, expect, it } from "vitest";
import { StatementNames } from "./named-statements.js";

describe("StatementNames", () => {
  it("names a text once it has been sent often, the same name from then on", () => {
    const names = new StatementNames(10, 3);
    const text = "select * from runs where id = $1";
    expect([names.nameOf(text), names.nameOf(text)]).toEqual([undefined, undefined]);
    const name = names.nameOf(text);
    expect(name).toMatch(/^gantry_\d+$/);
    expect(names.nameOf(text)).toBe(name);
    expect(names.nameOf("select 1")).toBeUndefined();
  });

  it("names at most `limit` texts, and never a text that keeps changing", () => {
    const names = new StatementNames(2, 2);
    const named = ["a", "b", "c"].map((t) => [names.nameOf(t), names.nameOf(t)][1]);
    expect(named).toEqual(["gantry_0", "gantry_1", undefined]);
    const varying = new StatementNames(100, 2);
    const all = Array.from({ length: 5_000 }, (_, i) => varying.nameOf(`select ${i}`));
    expect(all.every((name) => name === undefined)).toBe(true);
  });
});
