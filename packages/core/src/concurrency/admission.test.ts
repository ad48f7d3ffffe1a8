import { describe, expect, it } from "vitest";
import type { WorkflowSpec } from "../format/types.js";
import { admitToGroup, type ConcurrencyPolicy, concurrencyGroupOf } from "./admission.js";

const group = (policy: ConcurrencyPolicy) => ({ name: "deploy-prod", policy });

describe("admitToGroup", () => {
  it("starts a run at once in an idle group, whatever the policy", () => {
    for (const policy of ["queue", "cancel-running", "skip"] as const)
      expect(admitToGroup(group(policy), [])).toEqual({ decision: "start", cancel: [] });
  });

  it("queue: a run waits while another of its group is active", () => {
    expect(admitToGroup(group("queue"), ["r1"])).toEqual({ decision: "wait" });
  });

  it("cancel-running: a run starts and cancels every active run of its group, in their order", () => {
    const active = ["r1", "r2"];
    const admission = admitToGroup(group("cancel-running"), active);
    expect(admission).toEqual({ decision: "start", cancel: ["r1", "r2"] });
    // The caller's list is not handed out to be changed.
    if (admission.decision === "start") expect(admission.cancel).not.toBe(active);
  });

  it("skip: a run is skipped with a reason naming its group", () => {
    expect(admitToGroup(group("skip"), ["r1"])).toEqual({
      decision: "skip",
      reason: "skipped: a run of concurrency group 'deploy-prod' is active",
    });
  });
});

describe("concurrencyGroupOf", () => {
  const info = {
    id: "r1",
    workflow: "deploy",
    attempt: 1,
    trigger: { type: "manual", actor: "ada" },
    inputs: { env: "prod" },
  };
  const workflow = (concurrency?: WorkflowSpec["concurrency"]): WorkflowSpec => ({
    steps: { a: { run: "true" } },
    ...(concurrency ? { concurrency } : {}),
  });

  it("has no group without concurrency:", () => {
    expect(concurrencyGroupOf(workflow(), info)).toBeUndefined();
  });

  it("evaluates the group from the run's inputs and trigger; the policy defaults to queue", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the workflow's own expression syntax.
    const group = "deploy-${{ inputs.env }}-${{ trigger.actor }}";
    expect(concurrencyGroupOf(workflow({ group }), info)).toEqual({
      name: "deploy-prod-ada",
      policy: "queue",
    });
    expect(concurrencyGroupOf(workflow({ group: "g", policy: "skip" }), info)).toEqual({
      name: "g",
      policy: "skip",
    });
  });
});
