// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests are full of workflow expressions
import { describe, expect, it } from "vitest";
import type { ActionSpec, WorkflowSpec } from "../format/types.js";
import { ancestorsOf } from "../graph/dag.js";
import { Planner } from "./plan.js";
import { PrepareError, prepareTask } from "./prepare.js";
import type { RunInfo, RunState, Task } from "./state.js";

const INFO: RunInfo = {
  id: "run-7",
  workflow: "deploy",
  attempt: 2,
  trigger: { type: "schedule", cron: "0 3 * * *" },
  inputs: {},
};

/**
 * Starts a run and completes steps in order with the given outputs until `target` has a task, then
 * prepares that task (the `index`th item of it).
 */
function prepare(
  wf: WorkflowSpec,
  target: string,
  options: {
    outputs?: Record<string, Record<string, unknown>>;
    info?: Partial<RunInfo>;
    action?: ActionSpec;
    index?: number;
  } = {},
) {
  const info = { ...INFO, ...options.info };
  const planner = new Planner(wf, info);
  const { state, tasks } = planner.start();
  const queue = [...tasks];
  let found: Task | undefined;
  while (queue.length > 0 && !found) {
    const task = queue.shift() as Task;
    if (task.step === target && task.index === (options.index ?? 0)) {
      found = task;
      break;
    }
    if (task.step === target || !planner.claim(state, task)) continue;
    queue.push(
      ...planner.finish(state, task, { status: "succeeded", outputs: options.outputs?.[task.step] ?? {} }),
    );
  }
  if (!found) throw new Error(`no task for ${target}`);
  const ancestors = ancestorsOf(wf.steps).get(target) ?? [];
  return { prepared: prepareTask(wf, info, state, found, ancestors, options.action), state };
}

function prepareError(fn: () => unknown): PrepareError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PrepareError);
    return error as PrepareError;
  }
  throw new Error("expected a PrepareError");
}

describe("prepareTask: expressions", () => {
  it("evaluates run, with and env from inputs, steps' outputs and the run context", () => {
    const { prepared } = prepare(
      {
        steps: {
          build: { run: "build" },
          deploy: {
            needs: "build",
            name: "deploy ${{ inputs.env }}",
            run: "deploy ${{ steps.build.outputs.image }} to ${{ inputs.env }} (${{ steps.build.result }})",
            with: {
              image: "${{ steps.build.outputs.image }}",
              replicas: "${{ inputs.replicas }}",
              run: "${{ run.id }}/${{ run.workflow }}/${{ run.attempt }}/${{ run.trigger }}",
              cron: "${{ trigger.cron }}",
            },
            env: { IMAGE: "${{ steps.build.outputs.image }}", REPLICAS: "${{ inputs.replicas }}" },
          },
        },
      },
      "deploy",
      { outputs: { build: { image: "app:1" } }, info: { inputs: { env: "staging", replicas: 3 } } },
    );
    expect(prepared.name).toBe("deploy staging");
    expect(prepared.program).toEqual({
      kind: "inline",
      shell: "bash",
      script: "deploy app:1 to staging (success)",
    });
    expect(prepared.inputs).toEqual({
      image: "app:1",
      replicas: 3,
      run: "run-7/deploy/2/schedule",
      cron: "0 3 * * *",
    });
    expect(prepared.env).toEqual({ IMAGE: "app:1", REPLICAS: "3" });
    expect(prepared).toMatchObject({ step: "deploy", index: 0, attempt: 1 });
  });

  it("gives a for_each item its own value in every field", () => {
    const wf: WorkflowSpec = {
      steps: {
        each: {
          for_each: [{ region: "eu" }, { region: "us" }],
          run: "deploy ${{ item.region }}",
          with: { where: "${{ item }}" },
          env: { REGION: "${{ item.region }}" },
        },
      },
    };
    const { prepared } = prepare(wf, "each", { index: 1 });
    expect(prepared.item).toEqual({ region: "us" });
    expect(prepared.program).toMatchObject({ script: "deploy us" });
    expect(prepared.inputs).toEqual({ where: { region: "us" } });
    expect(prepared.env).toEqual({ REGION: "us" });
  });

  it("sets item only for a for_each step", () => {
    const { prepared } = prepare({ steps: { a: { run: "a" } } }, "a");
    expect("item" in prepared).toBe(false);
  });

  it("merges workflow env and step env, the step winning, and lets the step's env read the workflow's", () => {
    const { prepared } = prepare(
      {
        env: { SHARED: "workflow", ONLY_WF: "${{ inputs.x }}", FLAG: true, COUNT: 2 },
        steps: { a: { run: "echo $SHARED", env: { SHARED: "step", DERIVED: "${{ env.ONLY_WF }}-d" } } },
      },
      "a",
      { info: { inputs: { x: "wf" } } },
    );
    expect(prepared.env).toEqual({
      SHARED: "step",
      ONLY_WF: "wf",
      FLAG: "true",
      COUNT: "2",
      DERIVED: "wf-d",
    });
  });

  it("throws a PrepareError naming the field when an expression fails", () => {
    const error = prepareError(() =>
      prepare({ steps: { a: { run: "a", with: { x: "${{ fromJSON('nope') }}" } } } }, "a"),
    );
    expect(error.message).toMatch(/^steps\.a\.with: /);
    const inRun = prepareError(() => prepare({ steps: { b: { run: "echo ${{ fromJSON('{') }}" } } }, "b"));
    expect(inRun.message).toMatch(/^steps\.b\.run: /);
  });
});

describe("prepareTask: program, shell, timeout, working directory", () => {
  it("defaults the shell to bash, honours defaults.shell, and lets the step override it", () => {
    expect(prepare({ steps: { a: { run: "x" } } }, "a").prepared.program).toMatchObject({ shell: "bash" });
    const wf: WorkflowSpec = {
      defaults: { shell: "python" },
      steps: { a: { run: "x" }, b: { run: "y", shell: "node" } },
    };
    expect(prepare(wf, "a").prepared.program).toMatchObject({ kind: "inline", shell: "python" });
    expect(prepare(wf, "b").prepared.program).toMatchObject({ kind: "inline", shell: "node" });
  });

  it("parses the timeout to milliseconds, from the step or the defaults", () => {
    const wf: WorkflowSpec = {
      defaults: { timeout: "10m" },
      steps: { a: { run: "x", timeout: "1m30s" }, b: { run: "y" }, c: { run: "z", timeout: 5 } },
    };
    expect(prepare(wf, "a").prepared.timeoutMs).toBe(90_000);
    expect(prepare(wf, "b").prepared.timeoutMs).toBe(600_000);
    expect(prepare(wf, "c").prepared.timeoutMs).toBe(5_000);
    expect(prepare({ steps: { a: { run: "x" } } }, "a").prepared.timeoutMs).toBeUndefined();
  });

  it("evaluates the working directory, from the step or the defaults", () => {
    const wf: WorkflowSpec = {
      defaults: { working_directory: "base" },
      steps: { a: { run: "x", working_directory: "src/${{ inputs.dir }}" }, b: { run: "y" } },
    };
    expect(prepare(wf, "a", { info: { inputs: { dir: "app" } } }).prepared.workingDirectory).toBe("src/app");
    expect(prepare(wf, "b").prepared.workingDirectory).toBe("base");
  });
});

describe("prepareTask: actions", () => {
  const greet: ActionSpec = {
    inputs: {
      name: { type: "string", required: true },
      times: { type: "integer", default: 1, minimum: 1 },
      excited: { type: "boolean", default: false },
      token: { type: "secret" },
    },
    runs: { using: "python", script: "greet.py" },
  };

  it("coerces and defaults the action's inputs and runs its script file", () => {
    const { prepared } = prepare(
      { steps: { g: { uses: "./greet", with: { name: "${{ inputs.who }}", excited: "yes" } } } },
      "g",
      { action: greet, info: { inputs: { who: "Ada" } } },
    );
    expect(prepared.inputs).toEqual({ name: "Ada", times: 1, excited: true });
    expect(prepared.program).toEqual({ kind: "file", shell: "python", path: "greet.py" });
  });

  it("throws a PrepareError naming the step and the input when a required input is missing", () => {
    const error = prepareError(() =>
      prepare({ steps: { g: { uses: "./greet", with: { times: 2 } } } }, "g", { action: greet }),
    );
    expect(error.message).toMatch(/^steps\.g\.with: /);
    expect(error.message).toContain("input 'name' is required");
  });

  it("throws a PrepareError for an input of the wrong type or an unknown input", () => {
    const error = prepareError(() =>
      prepare({ steps: { g: { uses: "./greet", with: { name: "x", times: "many", nmae: "y" } } } }, "g", {
        action: greet,
      }),
    );
    expect(error.message).toContain("input 'times': must be an integer, got 'many'");
    expect(error.message).toContain("unknown input 'nmae' (did you mean 'name'?)");
  });

  it("lists secret inputs, the workflow's secret inputs and the run's secrets as values to mask", () => {
    const { prepared } = prepare(
      {
        inputs: { password: { type: "secret" }, user: { type: "string" } },
        steps: { g: { uses: "./greet", with: { name: "${{ inputs.user }}", token: "tok-123" } } },
      },
      "g",
      {
        action: greet,
        info: { inputs: { password: "pw-456", user: "ada" }, secrets: { registry: "reg-789", empty: "" } },
      },
    );
    expect(prepared.secrets.sort()).toEqual(["pw-456", "reg-789", "tok-123"]);
    expect(prepared.secrets).not.toContain("ada");
  });

  it("gives an inline action script the action's inputs, not the workflow's", () => {
    const action: ActionSpec = {
      inputs: { who: { type: "string", default: "action-default" } },
      runs: { using: "sh", run: "echo ${{ inputs.who }} ${{ run.id }}" },
    };
    const { prepared } = prepare({ inputs: {}, steps: { s: { uses: "./a" } } }, "s", {
      action,
      info: { inputs: { who: "workflow-value" } },
    });
    expect(prepared.program).toEqual({ kind: "inline", shell: "sh", script: "echo action-default run-7" });
  });

  it("evaluates an exec action's command, one argument per element", () => {
    const action: ActionSpec = {
      inputs: { n: { type: "integer" } },
      runs: { using: "exec", command: ["./bin/tool", "--count=${{ inputs.n }}", "${{ inputs.n }}"] },
    };
    const { prepared } = prepare({ steps: { s: { uses: "./a", with: { n: "4" } } } }, "s", { action });
    expect(prepared.program).toEqual({ kind: "exec", command: ["./bin/tool", "--count=4", "4"] });
    const single: ActionSpec = { runs: { using: "exec", command: "date" } };
    expect(prepare({ steps: { s: { uses: "./b" } } }, "s", { action: single }).prepared.program).toEqual({
      kind: "exec",
      command: ["date"],
    });
  });
});

describe("prepareTask: status functions", () => {
  it("evaluates with the step's own status flags", () => {
    const wf: WorkflowSpec = {
      steps: {
        a: { run: "a" },
        b: { needs: "a", if: "always()", run: "failed=${{ failure() }} ok=${{ success() }}" },
      },
    };
    const planner = new Planner(wf, INFO);
    const { state, tasks } = planner.start();
    planner.claim(state, tasks[0] as Task);
    const [b] = planner.finish(state, tasks[0] as Task, { status: "failed" });
    const prepared = prepareTask(wf, INFO, state as RunState, b as Task, ["a"]);
    expect(prepared.program).toMatchObject({ script: "failed=true ok=false" });
  });
});

describe("prepareTask: working_directory from an expression", () => {
  it("refuses one that leaves the workspace", async () => {
    const { validateWorkflowText } = await import("../validate/workflow.js");
    const text =
      "inputs:\n  dir: {type: string}\nsteps:\n  a:\n    working_directory: ${{ inputs.dir }}\n    run: pwd\n";
    const wf = validateWorkflowText("wf.yaml", text).workflow;
    if (!wf) throw new Error("invalid");
    const info: RunInfo = {
      id: "r",
      workflow: "wf",
      attempt: 1,
      trigger: { type: "manual" },
      inputs: { dir: "../../etc" },
    };
    const planner = new Planner(wf, info);
    const { state, tasks } = planner.start();
    const task = tasks[0];
    if (!task) throw new Error("no task");
    expect(() => prepareTask(wf, info, state, task, [])).toThrow(
      /working_directory: '..\/..\/etc' climbs out/,
    );
  });
});
