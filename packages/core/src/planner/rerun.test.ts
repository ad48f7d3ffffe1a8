import { describe, expect, it } from "vitest";
import type { WorkflowSpec } from "../format/types.js";
import { Planner } from "./plan.js";
import { descendantsOf, keptBeforeStep } from "./rerun.js";
import type { RunInfo, StepState } from "./state.js";

const workflow: WorkflowSpec = {
  steps: {
    build: { run: "b" },
    lint: { needs: "build", run: "l" },
    test: { needs: "build", run: "t" },
    deploy: { needs: ["test", "lint"], run: "d" },
  },
};
const info: RunInfo = { id: "r", workflow: "w", attempt: 2, trigger: { type: "manual" }, inputs: {} };
const done = (out: Record<string, unknown>): StepState => ({
  status: "succeeded",
  result: "success",
  outcome: "success",
  fanOut: false,
  items: [{ status: "succeeded", attempts: 1, outputs: out }],
  outputs: out,
});
const previous = {
  build: done({ image: "x:1" }),
  lint: done({}),
  test: done({}),
  deploy: done({}),
};

describe("re-run from a step", () => {
  it("finds what comes after a step", () => {
    expect([...descendantsOf(workflow, "build")].sort()).toEqual(["deploy", "lint", "test"]);
    expect([...descendantsOf(workflow, "deploy")]).toEqual([]);
  });

  it("keeps the steps before and beside it, and starts the step itself with the old outputs in reach", () => {
    const keep = keptBeforeStep(workflow, previous, "test");
    expect(Object.keys(keep ?? {}).sort()).toEqual(["build", "lint"]);
    const { state, tasks } = new Planner(workflow, info).startFrom(keep ?? {});
    expect(tasks.map((t) => t.step)).toEqual(["test"]);
    expect(state.steps.build?.outputs).toEqual({ image: "x:1" });
    expect(state.steps.deploy?.status).toBe("pending");
  });

  it("has nothing to keep for an unknown step", () => {
    expect(keptBeforeStep(workflow, previous, "nope")).toBeUndefined();
  });
});
