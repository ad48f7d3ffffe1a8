// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests are full of workflow expressions
import { describe, expect, it } from "vitest";
import type { ActionSpec, WorkflowSpec } from "../format/types.js";
import { chooseRunNodes } from "../nodes/run-nodes.js";
import type { NodeRecord } from "../nodes/types.js";
import { Planner } from "./plan.js";
import { PrepareError, prepareTask } from "./prepare.js";
import type { RunInfo, RunState, Task, TaskOutcome } from "./state.js";

const node = (name: string, tags: string[]): NodeRecord => ({
  name,
  host: `10.0.0.${name.length}`,
  tags,
  attributes: { env: "prod" },
  ssh_key: "ref+env://KEY",
});
const INVENTORY = [
  node("web-1", ["web", "eu"]),
  node("web-2", ["web", "us"]),
  node("web-3", ["web", "eu"]),
  node("web-4", ["web", "eu"]),
  node("db-1", ["db", "eu"]),
];

function infoFor(workflow: WorkflowSpec, inputs: Record<string, unknown> = {}, actions = {}): RunInfo {
  const base = { id: "run-1", workflow: "w", attempt: 1, trigger: { type: "manual" }, inputs };
  return { ...base, nodes: chooseRunNodes(workflow, actions, base, INVENTORY) };
}

const ok: TaskOutcome = { status: "succeeded", exitCode: 0 };
const fail: TaskOutcome = { status: "failed", exitCode: 1 };

/** Starts the run and claims what is ready; `finishNext` ends one running task with an outcome. */
function drive(workflow: WorkflowSpec, inputs: Record<string, unknown> = {}) {
  const planner = new Planner(workflow, infoFor(workflow, inputs));
  const { state, tasks } = planner.start();
  const running: Task[] = [];
  const claimAll = (list: Task[]) => {
    for (const t of list) if (planner.claim(state, t)) running.push(t);
  };
  claimAll(tasks);
  return {
    planner,
    state,
    running,
    finish(name: string, outcome: TaskOutcome) {
      const at = running.findIndex((t) => state.steps[t.step]?.items[t.index]?.item === name);
      if (at < 0) throw new Error(`${name} is not running`);
      const [task] = running.splice(at, 1);
      claimAll(planner.finish(state, task as Task, outcome));
    },
    runningNodes: () => running.map((t) => state.steps[t.step]?.items[t.index]?.item),
  };
}

const items = (state: RunState, step: string) =>
  state.steps[step]?.items.map((i) => `${String(i.item)}:${i.status}:${i.attempts}`);

describe("ssh steps: one item per node", () => {
  it("runs once per matching node, in inventory order, one at a time by default", () => {
    const wf: WorkflowSpec = {
      steps: { deploy: { run: "./deploy", runner: { type: "ssh", nodes: "tags:web and tags:eu" } } },
    };
    const run = drive(wf);
    expect(items(run.state, "deploy")).toEqual(["web-1:running:1", "web-3:queued:0", "web-4:queued:0"]);
    run.finish("web-1", ok);
    expect(run.runningNodes()).toEqual(["web-3"]);
    run.finish("web-3", ok);
    run.finish("web-4", ok);
    expect(run.state.status).toBe("succeeded");
    expect(run.state.steps.deploy).toMatchObject({ status: "succeeded", fanOut: true });
  });

  it("keeps at most max_parallel nodes running", () => {
    const wf: WorkflowSpec = {
      steps: { deploy: { run: "x", runner: { type: "ssh", nodes: "tags:web", max_parallel: 2 } } },
    };
    const run = drive(wf);
    expect(run.runningNodes()).toEqual(["web-1", "web-2"]);
    run.finish("web-2", ok);
    expect(run.runningNodes()).toEqual(["web-1", "web-3"]);
    run.finish("web-1", ok);
    run.finish("web-3", ok);
    expect(run.runningNodes()).toEqual(["web-4"]);
  });

  it("starts no more nodes after a failure, unless keep_going", () => {
    const stop: WorkflowSpec = {
      steps: {
        deploy: { run: "x", runner: { type: "ssh", nodes: "tags:web", max_parallel: 2 } },
        after: { needs: "deploy", run: "y" },
      },
    };
    const run = drive(stop);
    run.finish("web-1", fail);
    // web-2 was running already and finishes; web-3 and web-4 never start.
    expect(items(run.state, "deploy")).toEqual([
      "web-1:failed:1",
      "web-2:running:1",
      "web-3:cancelled:0",
      "web-4:cancelled:0",
    ]);
    expect(run.state.steps.deploy?.items[2]?.error).toBe(
      "not started: node web-1 failed (keep_going is false)",
    );
    run.finish("web-2", ok);
    expect(run.state.steps.deploy?.status).toBe("failed");
    expect(run.state.steps.after?.status).toBe("skipped");
    expect(run.state.status).toBe("failed");

    const keepGoing: WorkflowSpec = {
      steps: { deploy: { run: "x", runner: { type: "ssh", nodes: "tags:web", keep_going: true } } },
    };
    const run2 = drive(keepGoing);
    run2.finish("web-1", fail);
    run2.finish("web-2", ok);
    run2.finish("web-3", fail);
    run2.finish("web-4", ok);
    expect(items(run2.state, "deploy")).toEqual([
      "web-1:failed:1",
      "web-2:succeeded:1",
      "web-3:failed:1",
      "web-4:succeeded:1",
    ]);
    expect(run2.state.status).toBe("failed");
  });

  it("retries a node on its own, holding its slot meanwhile", () => {
    const wf: WorkflowSpec = {
      steps: {
        deploy: { run: "x", runner: { type: "ssh", nodes: "tags:db or name:web-1" }, retry: { attempts: 2 } },
      },
    };
    const run = drive(wf);
    run.finish("web-1", fail);
    expect(items(run.state, "deploy")).toEqual(["web-1:running:2", "db-1:queued:0"]);
    run.finish("web-1", ok);
    run.finish("db-1", ok);
    expect(run.state.status).toBe("succeeded");
  });

  it("chooses nodes from inputs when the run starts", () => {
    const wf: WorkflowSpec = {
      inputs: { region: { type: "string" } },
      steps: {
        deploy: { run: "x", runner: { type: "ssh", nodes: "tags:web and tags:${{ inputs.region }}" } },
      },
    };
    const info = infoFor(wf, { region: "us" });
    expect(info.nodes?.selected).toEqual({ "tags:web and tags:us": { names: ["web-2"] } });
    expect(Object.keys(info.nodes?.records ?? {})).toEqual(["web-2"]);
    expect(items(drive(wf, { region: "us" }).state, "deploy")).toEqual(["web-2:running:1"]);
  });

  it("fails the step, saying why, when the selector matches nothing or cannot be read", () => {
    const none = drive({ steps: { s: { run: "x", runner: { type: "ssh", nodes: "tags:gpu" } } } });
    expect(none.state.steps.s).toMatchObject({
      status: "failed",
      error: "runner.nodes: 'tags:gpu' matched none of the 5 nodes in the inventory",
    });
    const wf: WorkflowSpec = {
      inputs: { sel: { type: "string" } },
      steps: { s: { run: "x", runner: { type: "ssh", nodes: "${{ inputs.sel }}" } } },
    };
    const bad = drive(wf, { sel: "tags:web eu" });
    expect(bad.state.steps.s?.error).toBe(
      "runner.nodes: 'tags:web eu': expected 'and' or 'or' before 'eu' (there is no implicit 'and') (column 10)",
    );
    const planner = new Planner(wf, {
      id: "r",
      workflow: "w",
      attempt: 1,
      trigger: { type: "manual" },
      inputs: { sel: "*" },
    });
    expect(planner.start().state.steps.s?.error).toMatch(/this run has no node inventory/);
  });

  it("cancels waiting nodes with the run", () => {
    const wf: WorkflowSpec = { steps: { s: { run: "x", runner: { type: "ssh", nodes: "tags:web" } } } };
    const run = drive(wf);
    const { kill } = run.planner.cancel(run.state);
    expect(kill).toHaveLength(1);
    expect(items(run.state, "s")?.slice(1)).toEqual([
      "web-2:cancelled:0",
      "web-3:cancelled:0",
      "web-4:cancelled:0",
    ]);
  });
});

describe("preparing node tasks", () => {
  it("gives an ssh task its node, with the secret references unresolved", () => {
    const wf: WorkflowSpec = {
      steps: { s: { run: "hostname", runner: { type: "ssh", nodes: "tags:db" } } },
    };
    const info = infoFor(wf);
    const { state, tasks } = new Planner(wf, info).start();
    const prepared = prepareTask(wf, info, state, tasks[0] as Task, []);
    expect(prepared.item).toBe("db-1");
    expect(prepared.runner).toMatchObject({ type: "ssh", nodes: "tags:db", node: INVENTORY[4] });
  });

  it("gives an action's nodes input the chosen nodes", () => {
    const action: ActionSpec = {
      inputs: { hosts: { type: "nodes", required: true } },
      runs: { using: "bash", run: "echo" },
    };
    const wf: WorkflowSpec = { steps: { play: { uses: "./a", with: { hosts: "tags:us or tags:db" } } } };
    const info = infoFor(wf, {}, { play: action });
    const { state, tasks } = new Planner(wf, info).start();
    const prepared = prepareTask(wf, info, state, tasks[0] as Task, [], action);
    expect(prepared.inputs.hosts).toEqual([INVENTORY[1], INVENTORY[4]]);

    const none: WorkflowSpec = { steps: { play: { uses: "./a", with: { hosts: "tags:gpu" } } } };
    const noneInfo = infoFor(none, {}, { play: action });
    const started = new Planner(none, noneInfo).start();
    expect(() => prepareTask(none, noneInfo, started.state, started.tasks[0] as Task, [], action)).toThrow(
      new PrepareError("steps.play.with.hosts: 'tags:gpu' matched none of the 5 nodes in the inventory"),
    );
  });
});
