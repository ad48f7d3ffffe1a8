// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions
import { describe, expect, it } from "vitest";
import { Planner } from "../planner/plan.js";
import { PrepareError, prepareTask } from "../planner/prepare.js";
import type { Task } from "../planner/state.js";
import { jobLabels, runnerSpecFor } from "./runner.js";
import type { ActionSpec, WorkflowSpec } from "./types.js";

const wf = (extra: Partial<WorkflowSpec>): WorkflowSpec => ({ steps: { s: { run: "true" } }, ...extra });
const containerAction: ActionSpec = {
  runs: { using: "container", image: "alpine/helm:3", command: ["--version"] },
};

describe("runnerSpecFor", () => {
  it("is local with nothing said", () => {
    expect(runnerSpecFor(wf({}), "s")).toEqual({ type: "local" });
    expect(jobLabels(runnerSpecFor(wf({}), "s"))).toEqual(["runner:local"]);
  });

  it("merges defaults, then the action, then the step, key by key", () => {
    const spec = runnerSpecFor(
      wf({
        defaults: { runner: { type: "docker", image: "node:20", memory: "1g" } },
        steps: { s: { uses: "./a", runner: { labels: ["gpu"], memory: "2g" } } },
      }),
      "s",
      { runs: { using: "bash", run: "true" }, runner: { image: "python:3" } },
    );
    expect(spec).toEqual({ type: "docker", image: "python:3", memory: "2g", labels: ["gpu"] });
    expect(jobLabels(spec)).toEqual(["gpu", "runner:docker"]);
  });

  it("starts afresh when a level names another type", () => {
    const spec = runnerSpecFor(
      wf({
        defaults: { runner: { type: "docker", image: "node:20" } },
        steps: { s: { run: "true", runner: { type: "kubernetes", image: "node:22", namespace: "ci" } } },
      }),
      "s",
    );
    expect(spec).toEqual({ type: "kubernetes", image: "node:22", namespace: "ci" });
    const local = runnerSpecFor(
      wf({
        defaults: { runner: { type: "docker", image: "x" } },
        steps: { s: { run: "true", runner: { type: "local" } } },
      }),
      "s",
    );
    expect(local).toEqual({ type: "local" });
  });

  it("runs a container action on docker unless kubernetes was chosen, with the action's image", () => {
    const steps = { s: { uses: "./helm" } };
    expect(runnerSpecFor(wf({ steps }), "s", containerAction)).toEqual({
      type: "docker",
      image: "alpine/helm:3",
    });
    const k8s = runnerSpecFor(
      wf({ steps, defaults: { runner: { type: "kubernetes", image: "x" } } }),
      "s",
      containerAction,
    );
    expect(k8s).toEqual({ type: "kubernetes", image: "alpine/helm:3" });
  });
});

describe("prepareTask with a runner", () => {
  const prepare = (spec: WorkflowSpec, action?: ActionSpec, inputs: Record<string, unknown> = {}) => {
    const info = { id: "r", workflow: "w", attempt: 1, trigger: { type: "manual" }, inputs };
    const planner = new Planner(spec, info);
    const { state, tasks } = planner.start();
    return prepareTask(spec, info, state, tasks[0] as Task, [], action);
  };

  it("evaluates the runner's expressions, keeping type and labels", () => {
    const task = prepare(
      {
        inputs: { node: { type: "string", default: "20" } },
        steps: {
          s: {
            run: "node -v",
            runner: {
              type: "docker",
              labels: ["x"],
              image: "node:${{ inputs.node }}",
              env: { N: 1, E: null },
            },
          },
        },
      },
      undefined,
      { node: "22" },
    );
    expect(task.runner).toEqual({ type: "docker", labels: ["x"], image: "node:22", env: { N: "1", E: "" } });
  });

  it("leaves the runner out for a plain local step", () => {
    expect(prepare(wf({})).runner).toBeUndefined();
  });

  it("makes a container action's program from its command", () => {
    const task = prepare(wf({ steps: { s: { uses: "./helm" } } }), containerAction);
    expect(task.program).toEqual({ kind: "container", command: ["--version"] });
    expect(task.runner).toEqual({ type: "docker", image: "alpine/helm:3" });
  });

  it("refuses a container action forced onto the local runner, or a container without an image", () => {
    expect(() =>
      prepare(wf({ steps: { s: { uses: "./helm", runner: { type: "local" } } } }), containerAction),
    ).toThrow(
      new PrepareError("steps.s: a container action runs on runner type docker or kubernetes, not local"),
    );
    expect(() => prepare(wf({ steps: { s: { run: "true", runner: { type: "docker" } } } }))).toThrow(
      /steps\.s\.runner: runner type docker needs an 'image'/,
    );
  });
});
