// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions
import { describe, expect, it } from "vitest";
import type { WorkflowSpec } from "../format/types.js";
import { Planner } from "../planner/plan.js";
import type { RunInfo } from "../planner/state.js";
import { validateWorkflowText } from "../validate/workflow.js";
import { approverRefusal } from "./approvers.js";
import { onlyWaiting, resolveGate, stampGates, waitingGates } from "./gate.js";
import type { GateDecision } from "./types.js";

const INFO: RunInfo = {
  id: "r1",
  workflow: "deploy",
  attempt: 1,
  trigger: { type: "api", actor: "key:a" },
  inputs: {},
};

function workflow(text: string): WorkflowSpec {
  const v = validateWorkflowText("w.yaml", text);
  expect(v.problems).toEqual([]);
  return v.workflow as WorkflowSpec;
}

const DEPLOY = `
steps:
  plan:
    run: echo summary=3 changes >> $GANTRY_OUTPUT
  approve:
    needs: [plan]
    approval:
      message: "Apply \${{ steps.plan.outputs.summary }}?"
      inputs: {ticket: {type: string, pattern: "^OPS-[0-9]+$", required: true}}
  apply:
    needs: [approve]
    run: echo \${{ steps.approve.outputs.ticket }}
`;

const decision = (d: "approve" | "reject", extra: Partial<GateDecision> = {}): GateDecision => ({
  decision: d,
  by: "Alice",
  by_id: "user:alice",
  at: "2026-12-07T08:00:00.000Z",
  comment: "ok",
  ...extra,
});

describe("approval nodes", () => {
  it("wait without a task, then pass the decision and the form's values on as outputs", () => {
    const planner = new Planner(workflow(DEPLOY), INFO);
    const { state, tasks } = planner.start();
    expect(tasks.map((t) => t.step)).toEqual(["plan"]);
    planner.claim(state, tasks[0] as never, 1);
    const next = planner.finish(state, tasks[0] as never, {
      status: "succeeded",
      outputs: { summary: "3 changes" },
    });
    expect(next).toEqual([]);
    expect(onlyWaiting(state)).toBe(true);
    expect(waitingGates(state)).toEqual([
      { step: "approve", gate: { kind: "approval", message: "Apply 3 changes?" } },
    ]);
    expect(stampGates(state, 5)).toEqual(["approve"]);
    expect(stampGates(state, 6)).toEqual([]);
    const after = resolveGate(planner, state, "approve", {
      decision: decision("approve"),
      inputs: { ticket: "OPS-1" },
      now: 10,
    });
    expect(after.map((t) => t.step)).toEqual(["apply"]);
    expect(state.steps.approve?.outputs).toMatchObject({ decision: "approve", by: "Alice", ticket: "OPS-1" });
    expect(onlyWaiting(state)).toBe(false);
  });

  it("fail on a rejection, without retry, and their dependents are skipped", () => {
    const planner = new Planner(workflow(DEPLOY), INFO);
    const { state, tasks } = planner.start();
    planner.finish(state, tasks[0] as never, { status: "succeeded", outputs: {} });
    resolveGate(planner, state, "approve", {
      decision: decision("reject", { comment: "not today" }),
      now: 2,
    });
    expect(state.steps.approve?.status).toBe("failed");
    expect(state.steps.approve?.items[0]?.error).toBe("rejected by Alice: not today");
    expect(state.steps.apply?.status).toBe("skipped");
    expect(state.status).toBe("failed");
  });

  it("are cancelled with the run", () => {
    const planner = new Planner(workflow(DEPLOY), INFO);
    const { state, tasks } = planner.start();
    planner.finish(state, tasks[0] as never, { status: "succeeded", outputs: {} });
    planner.cancel(state);
    expect(state.status).toBe("cancelled");
    expect(state.steps.approve?.status).toBe("cancelled");
  });

  it("are refused with a position when they also run something or ask for a secret", () => {
    const v = validateWorkflowText(
      "w.yaml",
      "steps:\n  a:\n    run: echo\n    approval: {inputs: {decision: {type: string}, pw: {type: secret}}}\n",
    );
    expect(v.problems.map((p) => `${p.line}:${p.col} ${p.message}`)).toEqual([
      "3:5 steps.a.run: an approval node runs nothing; it takes name, needs, if and approval only",
      "4:25 steps.a.approval.inputs.decision: the name is taken by the decision's own outputs (decision, by, by_id, at, comment, timed_out)",
      "4:51 steps.a.approval.inputs.pw: type secret cannot be asked of an approver (the answer becomes a step output)",
    ]);
  });
});

describe("environments", () => {
  const wf = `
steps:
  deploy:
    environment: {name: production, url: "https://\${{ inputs.host }}"}
    run: echo deploy
`;
  const env = (extra: Partial<RunInfo> = {}): RunInfo => ({
    ...INFO,
    inputs: { host: "example.com" },
    environments: {
      production: { approvers: { groups: ["ops"] }, branches: ["main", "release/**"], waitMs: 300_000 },
    },
    ...extra,
  });

  it("gate a step until approved, then queue it after the environment's wait", () => {
    const planner = new Planner(
      workflow(wf.replace("steps:", "inputs: {host: {type: string}}\nsteps:")),
      env({ github: { ref: "refs/heads/release/1.2" } }),
    );
    const { state, tasks } = planner.start();
    expect(tasks).toEqual([]);
    expect(state.steps.deploy?.gate).toEqual({
      kind: "environment",
      environment: "production",
      url: "https://example.com",
    });
    const next = resolveGate(planner, state, "deploy", {
      decision: decision("approve"),
      delayMs: 300_000,
      now: 1,
    });
    expect(next).toEqual([{ step: "deploy", index: 0, attempt: 1, delayMs: 300_000 }]);
    expect(planner.claim(state, next[0] as never, 2)).toBe(true);
  });

  it("refuse runs from other branches, and unknown environments", () => {
    const spec = workflow(wf.replace("steps:", "inputs: {host: {type: string}}\nsteps:"));
    const refused = new Planner(spec, env({ github: { ref: "refs/heads/feature/x" } })).start().state;
    expect(refused.steps.deploy?.error).toBe(
      "environment 'production' refuses runs from branch 'feature/x' (allowed: main, release/**)",
    );
    const unknown = new Planner(spec, { ...INFO, inputs: { host: "h" } }).start().state;
    expect(unknown.steps.deploy?.error).toBe(
      "environment 'production' is not defined in gantry.yaml (environments: none)",
    );
  });

  it("let only a step with an environment name secrets the workflow does not declare", () => {
    const v = validateWorkflowText(
      "w.yaml",
      [
        "steps:",
        "  peek:",
        '    run: echo "${{ secrets.DEPLOY_TOKEN }}"',
        "  deploy:",
        "    environment: production",
        '    run: echo "${{ secrets.DEPLOY_TOKEN }}"',
        "",
      ].join("\n"),
    );
    expect(v.problems.map((p) => `${p.line}:${p.col} ${p.message}`)).toEqual([
      expect.stringMatching(/^3:\d+ steps\.peek\.run: unknown secret 'DEPLOY_TOKEN'/),
    ]);
  });

  it("start at once, after the wait, when the environment has no approvers", () => {
    const spec = workflow(wf.replace("steps:", "inputs: {host: {type: string}}\nsteps:"));
    const { tasks } = new Planner(spec, { ...env(), environments: { production: { waitMs: 1000 } } }).start();
    expect(tasks).toEqual([{ step: "deploy", index: 0, attempt: 1, delayMs: 1000 }]);
  });
});

describe("approverRefusal", () => {
  const alice = {
    id: "user:alice",
    name: "Alice",
    email: "alice@example.com",
    role: "viewer",
    groups: ["ops"],
  };
  it("admits listed roles (and higher), users by e-mail or id, and groups", () => {
    expect(approverRefusal({ groups: ["ops"] }, false, alice, "key:a")).toBeUndefined();
    expect(approverRefusal({ users: ["ALICE@example.com"] }, false, alice, undefined)).toBeUndefined();
    expect(
      approverRefusal({ roles: ["operator"] }, false, { ...alice, role: "admin" }, undefined),
    ).toBeUndefined();
    expect(
      approverRefusal({ roles: ["admin"] }, false, { ...alice, role: "operator", groups: [] }, undefined),
    ).toBe("Alice is not among the approvers (role admin)");
  });
  it("refuses the run's starter unless allow_self, and viewers when nobody is listed", () => {
    expect(approverRefusal({ groups: ["ops"] }, false, alice, "user:alice")).toBe(
      "Alice started this run and may not approve it (allow_self is false)",
    );
    expect(approverRefusal({ groups: ["ops"] }, true, alice, "user:alice")).toBeUndefined();
    expect(approverRefusal(undefined, false, alice, undefined)).toBe(
      "deciding needs the operator role; Alice has viewer",
    );
  });
});

describe("an ssh step behind an environment gate", () => {
  it("releases only max_parallel nodes when approved, the rest as those finish", () => {
    const v = validateWorkflowText(
      "w.yaml",
      "steps:\n  roll:\n    environment: production\n    runner: {type: ssh, nodes: 'tags:web', max_parallel: 1}\n    run: uptime\n",
    );
    expect(v.problems).toEqual([]);
    const node = (name: string) => ({ name, host: name, port: 22, user: "u", tags: ["web"], attributes: {} });
    const info: RunInfo = {
      ...INFO,
      environments: { production: { approvers: { roles: ["operator"] } } },
      nodes: {
        selected: { "tags:web": { names: ["web-1", "web-2"] } },
        records: { "web-1": node("web-1"), "web-2": node("web-2") },
        total: 2,
      },
    };
    const planner = new Planner(v.workflow as WorkflowSpec, info);
    const { state } = planner.start();
    expect(state.steps.roll?.items.map((i) => [i.status, i.attempts])).toEqual([
      ["waiting", 1],
      ["waiting", 0],
    ]);
    const first = resolveGate(planner, state, "roll", { decision: decision("approve"), now: 1 });
    expect(first).toEqual([{ step: "roll", index: 0, attempt: 1, delayMs: 0 }]);
    planner.claim(state, first[0] as never, 2);
    const second = planner.finish(state, first[0] as never, { status: "succeeded", outputs: {} });
    expect(second).toEqual([{ step: "roll", index: 1, attempt: 1, delayMs: 0 }]);
  });
});
