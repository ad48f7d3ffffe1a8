import { describe, expect, it } from "vitest";
import { childDeadline, runDeadline, timeoutWithinDeadline } from "./call-deadline.js";

const top = { id: "p", trigger: { type: "manual" } };

describe("sub-workflow deadlines", () => {
  it("gives a child the node's timeout from when the node started, or the workflow's default", () => {
    expect(childDeadline({ steps: {} }, "call", { timeout: "2m" }, top, 1000)).toEqual({
      at: 121_000,
      reason: "step 'call' of run p has timeout 2m",
    });
    expect(childDeadline({ steps: {}, defaults: { timeout: 5 } }, "call", {}, top, 0)).toEqual({
      at: 5000,
      reason: "step 'call' of run p has timeout 5s",
    });
    expect(childDeadline({ steps: {} }, "call", {}, top, 0)).toBeUndefined();
  });

  it("keeps the earlier of the node's timeout and the parent run's own deadline", () => {
    const child = { id: "c", trigger: { type: "workflow_call", deadline: 50_000, deadline_reason: "outer" } };
    expect(childDeadline({ steps: {} }, "x", { timeout: "10s" }, child, 0)?.reason).toBe(
      "step 'x' of run c has timeout 10s",
    );
    expect(childDeadline({ steps: {} }, "x", { timeout: "1m" }, child, 0)).toEqual({
      at: 50_000,
      reason: "outer",
    });
    expect(childDeadline({ steps: {} }, "x", {}, child, 0)).toEqual({ at: 50_000, reason: "outer" });
    expect(runDeadline(top)).toBeUndefined();
  });

  it("caps a task's timeout at the time left, never below zero", () => {
    const info = { trigger: { type: "workflow_call", deadline: 10_000 } };
    expect(timeoutWithinDeadline(undefined, info, 4000)).toBe(6000);
    expect(timeoutWithinDeadline(3000, info, 4000)).toBe(3000);
    expect(timeoutWithinDeadline(9000, info, 4000)).toBe(6000);
    expect(timeoutWithinDeadline(9000, info, 12_000)).toBe(0);
    expect(timeoutWithinDeadline(9000, top, 4000)).toBe(9000);
  });
});
