import { describe, expect, it } from "vitest";
import type { StepSpec } from "../format/types.js";
import { Ancestors, ancestorsOf, dependentsOf, findStepCycle, needsOf } from "./dag.js";

const steps = (needs: Record<string, string[] | string | undefined>): Record<string, StepSpec> =>
  Object.fromEntries(
    Object.entries(needs).map(([id, n]) => [id, n === undefined ? { run: id } : { run: id, needs: n }]),
  );

describe("needsOf", () => {
  it("reads a single need, a list, and none", () => {
    expect(needsOf({ needs: "a" })).toEqual(["a"]);
    expect(needsOf({ needs: ["a", "b"] })).toEqual(["a", "b"]);
    expect(needsOf({})).toEqual([]);
    expect(needsOf(undefined)).toEqual([]);
  });
});

describe("findStepCycle", () => {
  it("finds none in a DAG, even with diamonds and unknown needs", () => {
    expect(findStepCycle(steps({ a: undefined, b: "a", c: "a", d: ["b", "c", "ghost"] }))).toBeUndefined();
  });

  it("names a two-step cycle with the first step repeated", () => {
    expect(findStepCycle(steps({ a: "b", b: "a" }))).toEqual(["a", "b", "a"]);
  });

  it("names only the steps in the cycle, each one needing the one after it", () => {
    const graph = steps({ start: undefined, a: ["start", "c"], b: "a", c: "b", after: "c" });
    const cycle = findStepCycle(graph) as string[];
    expect(cycle).toHaveLength(4);
    expect(cycle[0]).toBe(cycle[3]);
    expect(new Set(cycle)).toEqual(new Set(["a", "b", "c"]));
    for (let i = 1; i < cycle.length; i++) {
      expect(needsOf(graph[cycle[i - 1] as string]), `${cycle[i - 1]} -> ${cycle[i]}`).toContain(cycle[i]);
    }
  });

  it("finds a step that needs itself", () => {
    expect(findStepCycle(steps({ a: "a" }))).toEqual(["a", "a"]);
  });

  it("walks a 100,000-step chain without running out of stack, and finds the cycle that closes it", () => {
    const chain: Record<string, string | undefined> = { s0: undefined };
    for (let i = 1; i < 100_000; i++) chain[`s${i}`] = `s${i - 1}`;
    expect(findStepCycle(steps(chain))).toBeUndefined();
    chain.s0 = "s99999";
    const cycle = findStepCycle(steps(chain)) as string[];
    expect(cycle).toHaveLength(100_001);
    expect(cycle[0]).toBe(cycle[100_000]);
  });
});

describe("ancestorsOf", () => {
  it("collects every step a step depends on, directly or not", () => {
    const anc = ancestorsOf(steps({ a: undefined, b: "a", c: "a", d: ["b", "c"], e: "d", lone: undefined }));
    expect([...(anc.get("e") ?? [])].sort()).toEqual(["a", "b", "c", "d"]);
    expect([...(anc.get("d") ?? [])].sort()).toEqual(["a", "b", "c"]);
    expect([...(anc.get("b") ?? [])]).toEqual(["a"]);
    expect(anc.get("a")?.size).toBe(0);
    expect(anc.get("lone")?.size).toBe(0);
  });

  it("ignores needs that name no step", () => {
    expect([...(ancestorsOf(steps({ a: ["ghost"], b: "a" })).get("b") ?? [])]).toEqual(["a"]);
  });
});

describe("Ancestors", () => {
  const graph = steps({ a: undefined, b: "a", c: "a", d: ["b", "c"], e: "d", lone: undefined });

  it("answers has() for direct and further ancestors, and no for others, before and after a full walk", () => {
    const e = new Ancestors(graph, "e");
    expect(e.has("d")).toBe(true);
    expect(e.has("a")).toBe(true);
    expect(e.has("lone")).toBe(false);
    expect(e.has("ghost")).toBe(false);
    // The full walk for "lone" was kept: the same answers from the set.
    expect(e.has("b")).toBe(true);
    expect(e.has("e")).toBe(false);
    expect([...e].sort()).toEqual(["a", "b", "c", "d"]);
  });

  it("stops at a cycle instead of walking forever", () => {
    const looped = steps({ a: "b", b: "a" });
    expect([...new Ancestors(looped, "a")].sort()).toEqual(["a", "b"]);
  });

  it("holds a 10,000-step chain without a set per step (a walk deeper than the call stack)", () => {
    const chain: Record<string, string | undefined> = { s0: undefined };
    for (let i = 1; i < 10_000; i++) chain[`s${i}`] = `s${i - 1}`;
    const last = new Ancestors(steps(chain), "s9999");
    expect(last.has("s9998")).toBe(true);
    expect(last.has("s0")).toBe(true);
    expect(last.size).toBe(9999);
  });
});

describe("dependentsOf", () => {
  it("finds every step after a step, through any path", () => {
    const graph = steps({ a: undefined, b: "a", c: "a", d: ["b", "c"], e: "d", lone: undefined });
    expect([...dependentsOf(graph, "b")].sort()).toEqual(["d", "e"]);
    expect([...dependentsOf(graph, "a")].sort()).toEqual(["b", "c", "d", "e"]);
    expect([...dependentsOf(graph, "lone")]).toEqual([]);
  });
});
