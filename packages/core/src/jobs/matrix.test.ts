// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests are full of workflow expressions
import { describe, expect, it } from "vitest";
import type { WorkflowSpec } from "../format/types.js";
import { Planner } from "../planner/plan.js";
import { prepareTask } from "../planner/prepare.js";
import type { RunInfo, Task, TaskOutcome } from "../planner/state.js";
import { legName, matrixLegs } from "./matrix.js";

describe("matrixLegs: GitHub's include/exclude semantics", () => {
  it("builds GitHub's documented example exactly", () => {
    // docs.github.com, "Expanding or adding matrix configurations".
    const legs = matrixLegs({
      fruit: ["apple", "pear"],
      animal: ["cat", "dog"],
      include: [
        { color: "green" },
        { color: "pink", animal: "cat" },
        { fruit: "apple", shape: "circle" },
        { fruit: "banana" },
        { fruit: "banana", animal: "cat" },
      ],
    });
    expect(legs).toEqual([
      { fruit: "apple", animal: "cat", color: "pink", shape: "circle" },
      { fruit: "apple", animal: "dog", color: "green", shape: "circle" },
      { fruit: "pear", animal: "cat", color: "pink" },
      { fruit: "pear", animal: "dog", color: "green" },
      { fruit: "banana" },
      { fruit: "banana", animal: "cat" },
    ]);
  });

  it("excludes partial matches before including, and compares objects by value", () => {
    const legs = matrixLegs({
      os: ["linux", "mac"],
      node: [{ v: 18 }, { v: 20 }],
      exclude: [{ os: "mac", node: { v: 18 } }],
      include: [{ os: "mac", node: { v: 18 }, experimental: true }],
    });
    expect(legs).toEqual([
      { os: "linux", node: { v: 18 } },
      { os: "linux", node: { v: 20 } },
      { os: "mac", node: { v: 20 } },
      { os: "mac", node: { v: 18 }, experimental: true },
    ]);
    expect(legName({ os: "mac", node: { v: 18 } })).toBe('mac, {"v":18}');
  });

  it("says what is wrong with a bad matrix", () => {
    expect(matrixLegs({ os: [] })).toEqual({ error: "axis 'os' must be a non-empty list, got []" });
    expect(matrixLegs({ os: ["a"], exclude: [{ os: "a" }] })).toEqual({
      error: "the matrix has no combination left",
    });
  });
});

const info: RunInfo = { id: "r", workflow: "w", attempt: 1, trigger: { type: "manual" }, inputs: {} };
const ok = (outputs: Record<string, unknown> = {}): TaskOutcome => ({
  status: "succeeded",
  exitCode: 0,
  outputs,
});

describe("the planner: one leg per combination", () => {
  const wf = (strategy: Record<string, unknown>): WorkflowSpec => ({
    steps: {
      test: {
        strategy: { matrix: { node: [18, 20], os: ["linux", "mac"] }, ...strategy },
        run: "echo ${{ matrix.node }} on ${{ matrix.os }}",
        runner: { type: "docker", image: "node:${{ matrix.node }}" },
      },
      after: { needs: "test", run: "echo ${{ steps.test.outputs.v['20, mac'] }}" },
    },
  });

  it("names legs by their values, gives each the matrix context, keeps every leg's outputs", () => {
    const planner = new Planner(wf({}), info);
    const { state, tasks } = planner.start();
    expect(state.steps.test?.items.map((i) => i.name)).toEqual([
      "18, linux",
      "18, mac",
      "20, linux",
      "20, mac",
    ]);
    const prepared = prepareTask(wf({}), info, state, tasks[3] as Task, []);
    expect(prepared.program).toMatchObject({ script: "echo 20 on mac" });
    expect(prepared.runner?.image).toBe("node:20");
    let next: Task[] = [];
    for (const t of tasks) {
      planner.claim(state, t);
      next = planner.finish(state, t, ok({ v: `v${t.index}` }));
    }
    expect(state.steps.test?.outputs).toEqual({
      v: { "18, linux": "v0", "18, mac": "v1", "20, linux": "v2", "20, mac": "v3" },
    });
    expect(prepareTask(wf({}), info, state, next[0] as Task, ["test"]).program).toMatchObject({
      script: "echo v3",
    });
  });

  it("runs at most max_parallel legs, and fail_fast cancels the legs not yet started", () => {
    const planner = new Planner(wf({ max_parallel: 1 }), info);
    const { state, tasks } = planner.start();
    expect(tasks.map((t) => t.index)).toEqual([0]);
    planner.claim(state, tasks[0] as Task);
    const second = planner.finish(state, tasks[0] as Task, ok());
    expect(second.map((t) => t.index)).toEqual([1]);
    planner.claim(state, second[0] as Task);
    planner.finish(state, second[0] as Task, { status: "failed", exitCode: 1 });
    expect(state.steps.test?.items.map((i) => i.status)).toEqual([
      "succeeded",
      "failed",
      "cancelled",
      "cancelled",
    ]);
    expect(state.steps.test?.items[2]?.error).toBe("not started: leg 18, mac failed (fail_fast)");
    expect(state.steps.test?.status).toBe("failed");
  });

  it("with fail_fast false, the other legs still run", () => {
    const planner = new Planner(wf({ fail_fast: false, max_parallel: 2 }), info);
    const { state, tasks } = planner.start();
    planner.claim(state, tasks[0] as Task);
    const next = planner.finish(state, tasks[0] as Task, { status: "failed", exitCode: 1 });
    expect(next.map((t) => t.index)).toEqual([2]);
  });

  it("builds an axis given as an expression when the step starts", () => {
    const planner = new Planner(
      { steps: { t: { strategy: { matrix: { lang: '${{ fromJSON(\'["en","de"]\') }}' } }, run: "x" } } },
      info,
    );
    const { state } = planner.start();
    expect(state.steps.t?.items.map((i) => i.name)).toEqual(["en", "de"]);
  });

  it("fails the step before it starts when the matrix expression is not a map", () => {
    const planner = new Planner(
      { steps: { t: { strategy: { matrix: "${{ fromJSON('[1]') }}" }, run: "x" } } },
      info,
    );
    const { state } = planner.start();
    expect(state.steps.t?.error).toBe("strategy.matrix: it must give a map of axes, got [1]");
  });
});
