// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests are full of workflow expressions
import { describe, expect, it } from "vitest";
import { evaluateExpression } from "../expressions/evaluate.js";
import { statusFlags, stepContext, stepsContext } from "./context.js";
import type { RunInfo, RunState, StepState } from "./state.js";

const step = (over: Partial<StepState>): StepState => ({
  status: "succeeded",
  result: "success",
  outcome: "success",
  fanOut: false,
  items: [],
  outputs: {},
  ...over,
});

const state = (steps: Record<string, StepState>, cancelRequested = false): RunState => ({
  status: "running",
  cancelRequested,
  steps,
  outputs: {},
});

describe("statusFlags", () => {
  it("is success when every ancestor succeeded", () => {
    const s = state({ a: step({}), b: step({}) });
    expect(statusFlags(s, ["a", "b"])).toEqual({ success: true, failure: false, cancelled: false });
    expect(statusFlags(s, [])).toEqual({ success: true, failure: false, cancelled: false });
  });

  it("is failure when any ancestor's result is failure", () => {
    const s = state({ a: step({}), b: step({ status: "failed", result: "failure" }) });
    expect(statusFlags(s, ["a", "b"])).toEqual({ success: false, failure: true, cancelled: false });
    // Only the ancestors count: b is not one of c's.
    expect(statusFlags(s, ["a"]).failure).toBe(false);
  });

  it("is not success after a skipped ancestor, and not failure either", () => {
    const s = state({ a: step({ status: "skipped", result: "skipped" }) });
    expect(statusFlags(s, ["a"])).toEqual({ success: false, failure: false, cancelled: false });
  });

  it("counts a continue_on_error failure as success", () => {
    const s = state({ a: step({ status: "failed", outcome: "failure", result: "success" }) });
    expect(statusFlags(s, ["a"])).toEqual({ success: true, failure: false, cancelled: false });
  });

  it("is cancelled, and not success, once the run is cancelled", () => {
    const s = state({ a: step({}) }, true);
    expect(statusFlags(s, ["a"])).toEqual({ success: false, failure: false, cancelled: true });
  });
});

describe("stepsContext and stepContext", () => {
  const info: RunInfo = {
    id: "r1",
    workflow: "wf",
    attempt: 1,
    trigger: { type: "webhook", body: { ref: "main" } },
    inputs: { n: 2 },
    secrets: { token: "s3cret" },
    vars: { region: "eu" },
    github: { ref: "refs/heads/main" },
  };

  it("leaves out pending steps and shows result, outcome, status and outputs of the others", () => {
    const s = state({
      a: step({ outputs: { x: "1" } }),
      b: step({ status: "pending", result: undefined, outcome: undefined }),
    });
    expect(stepsContext(s)).toEqual({
      a: { outputs: { x: "1" }, result: "success", outcome: "success", status: "succeeded" },
    });
  });

  it("exposes every context an expression may read", () => {
    const ctx = stepContext({ env: { A: "${{ vars.region }}" }, steps: {} }, info, state({}), undefined, {
      item: "i",
    });
    const read = (e: string) => evaluateExpression(e, ctx);
    expect(read("inputs.n")).toBe(2);
    expect(read("secrets.token")).toBe("s3cret");
    expect(read("vars.region")).toBe("eu");
    expect(read("run")).toEqual({ id: "r1", workflow: "wf", attempt: 1, trigger: "webhook" });
    expect(read("trigger.body.ref")).toBe("main");
    expect(read("github.ref")).toBe("refs/heads/main");
    expect(read("item")).toBe("i");
    expect(read("env.A")).toBe("eu");
  });
});
