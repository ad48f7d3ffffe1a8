import { describe, expect, it } from "vitest";
import type { StepSpec, WorkflowSpec } from "../format/types.js";
import { workflowGraph } from "../graph/workflow-graph.js";
import { Planner } from "./plan.js";
import type { RunInfo, RunState, Task } from "./state.js";

const INFO: RunInfo = { id: "run-1", workflow: "scale", attempt: 1, trigger: { type: "manual" }, inputs: {} };

function chain(n: number): WorkflowSpec {
  const steps: Record<string, StepSpec> = {};
  for (let i = 0; i < n; i++) steps[`s${i}`] = { run: "true", ...(i > 0 ? { needs: `s${i - 1}` } : {}) };
  return { name: "chain", steps } as WorkflowSpec;
}

function wide(n: number): WorkflowSpec {
  const steps: Record<string, StepSpec> = {};
  for (let i = 0; i < n; i++) steps[`s${i}`] = { run: "true" };
  steps.last = { run: "true", needs: Object.keys(steps) };
  return { name: "wide", steps } as WorkflowSpec;
}

/** Runs every task as a worker would, each event on a planner of its own (one per transaction). */
function runAll(workflow: WorkflowSpec): { state: RunState; started: number } {
  const graph = workflowGraph(workflow);
  const { state, tasks } = new Planner(workflow, INFO, graph).start();
  const queue: Task[] = [...tasks];
  let started = 0;
  for (let i = 0; i < queue.length; i++) {
    const task = queue[i] as Task;
    expect(new Planner(workflow, INFO, graph).claim(state, task)).toBe(true);
    started++;
    queue.push(
      ...new Planner(workflow, INFO, graph).finish(state, task, { status: "succeeded", exitCode: 0 }),
    );
  }
  return { state, started };
}

describe("planning at scale", () => {
  it("runs a 10,000-step chain to the end, each step once", () => {
    const { state, started } = runAll(chain(10_000));
    expect(started).toBe(10_000);
    expect(state.status).toBe("succeeded");
    expect(Object.values(state.steps).every((s) => s.status === "succeeded")).toBe(true);
  });

  it("runs a 10,000-wide fan-out and the step that needs them all", () => {
    const { state, started } = runAll(wide(10_000));
    expect(started).toBe(10_001);
    expect(state.status).toBe("succeeded");
    expect(state.steps.last?.status).toBe("succeeded");
  });

  it("says which steps an event changed: the step, and the ones it made ready", () => {
    const workflow = chain(5);
    const { state, tasks } = new Planner(workflow, INFO).start();
    const planner = new Planner(workflow, INFO);
    planner.claim(state, tasks[0] as Task);
    expect([...planner.touched]).toEqual(["s0"]);
    const finisher = new Planner(workflow, INFO);
    const next = finisher.finish(state, tasks[0] as Task, { status: "succeeded", exitCode: 0 });
    expect(next.map((t) => t.step)).toEqual(["s1"]);
    expect([...finisher.touched].sort()).toEqual(["s0", "s1"]);
  });

  it("skips a chain's rest in one event when a step fails, and ends the run failed", () => {
    const workflow = chain(1000);
    const { state, tasks } = new Planner(workflow, INFO).start();
    const planner = new Planner(workflow, INFO);
    planner.claim(state, tasks[0] as Task);
    expect(planner.finish(state, tasks[0] as Task, { status: "failed", exitCode: 1 })).toEqual([]);
    expect(state.status).toBe("failed");
    expect(state.steps.s999?.status).toBe("skipped");
    expect(planner.touched.size).toBe(1000);
  });

  it("reads the status functions from the needs' ancestry, and walks the graph for a state without it", () => {
    const steps: Record<string, StepSpec> = {
      a: { run: "false" },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow's expression, not a template.
      b: { run: "true", needs: "a", if: "${{ always() }}" },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow's expression, not a template.
      c: { run: "true", needs: "b", if: "${{ failure() }}" },
      d: { run: "true", needs: "b" },
    };
    const workflow = { name: "flags", steps } as WorkflowSpec;
    for (const keepAncestry of [true, false]) {
      const { state, tasks } = new Planner(workflow, INFO).start();
      const a = tasks[0] as Task;
      new Planner(workflow, INFO).claim(state, a);
      const [b] = new Planner(workflow, INFO).finish(state, a, { status: "failed", exitCode: 1 });
      expect(b?.step).toBe("b");
      // A state stored before ancestry was kept: the planner walks up from c and d instead.
      if (!keepAncestry) for (const step of Object.values(state.steps)) delete step.ancestry;
      new Planner(workflow, INFO).claim(state, b as Task);
      const next = new Planner(workflow, INFO).finish(state, b as Task, { status: "succeeded", exitCode: 0 });
      expect(next.map((t) => t.step)).toEqual(["c"]);
      expect(state.steps.d?.status).toBe("skipped");
    }
  });
});
