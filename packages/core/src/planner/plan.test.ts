// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests are full of workflow expressions
import { describe, expect, it } from "vitest";
import type { WorkflowSpec } from "../format/types.js";
import { Planner } from "./plan.js";
import type { RunInfo, RunState, Task, TaskOutcome } from "./state.js";

const INFO: RunInfo = {
  id: "run-1",
  workflow: "test",
  attempt: 1,
  trigger: { type: "manual" },
  inputs: {},
};

const ok = (outputs: Record<string, unknown> = {}): TaskOutcome => ({
  status: "succeeded",
  exitCode: 0,
  outputs,
});
const FAIL: TaskOutcome = { status: "failed", exitCode: 1 };
const TIMEOUT: TaskOutcome = { status: "timed_out", exitCode: null, error: "timed out after 1s" };

/** How a step "executes": one outcome every time, one per try (the last repeats), or computed from the item. */
type StepScript = TaskOutcome | TaskOutcome[] | ((item: unknown, task: Task) => TaskOutcome);

function outcomeOf(script: StepScript | undefined, item: unknown, task: Task): TaskOutcome {
  if (script === undefined) return ok();
  if (typeof script === "function") return script(item, task);
  if (Array.isArray(script)) return script[Math.min(task.attempt, script.length) - 1] as TaskOutcome;
  return script;
}

/**
 * Runs a workflow to the end the way an engine would: claim each task, "execute" it with the scripted
 * outcome, and feed the result back. Returns every task started, in order.
 */
function execute(
  workflow: WorkflowSpec,
  script: Record<string, StepScript> = {},
  inputs: Record<string, unknown> = {},
) {
  const planner = new Planner(workflow, { ...INFO, inputs });
  const { state, tasks } = planner.start();
  const queue = [...tasks];
  const requested = [...tasks];
  const started: Task[] = [];
  while (queue.length > 0) {
    if (started.length > 500) throw new Error("the planner never finished the run");
    const task = queue.shift() as Task;
    if (!planner.claim(state, task)) continue;
    started.push(task);
    const item = state.steps[task.step]?.items[task.index]?.item;
    const next = planner.finish(state, task, outcomeOf(script[task.step], item, task));
    requested.push(...next);
    queue.push(...next);
  }
  const tries = (step: string) => started.filter((t) => t.step === step).length;
  return { state, planner, started, requested, tries };
}

function statuses(state: RunState): Record<string, string> {
  return Object.fromEntries(Object.entries(state.steps).map(([id, s]) => [id, s.status]));
}

const ids = (tasks: Task[]) => tasks.map((t) => `${t.step}#${t.index}`);

describe("ready steps", () => {
  const wf: WorkflowSpec = {
    steps: {
      a: { run: "a" },
      b: { run: "b" },
      c: { needs: ["a", "b"], run: "c" },
      d: { needs: "c", run: "d" },
    },
  };

  it("starts every step without needs at once, and nothing else", () => {
    const { state, tasks } = new Planner(wf, INFO).start();
    expect(tasks).toEqual([
      { step: "a", index: 0, attempt: 1, delayMs: 0 },
      { step: "b", index: 0, attempt: 1, delayMs: 0 },
    ]);
    expect(statuses(state)).toEqual({ a: "running", b: "running", c: "pending", d: "pending" });
    expect(state.status).toBe("running");
  });

  it("starts a step only when all its needs have finished", () => {
    const planner = new Planner(wf, INFO);
    const { state, tasks } = planner.start();
    const [a, b] = tasks as [Task, Task];
    expect(planner.claim(state, a)).toBe(true);
    expect(planner.claim(state, b)).toBe(true);
    expect(planner.finish(state, a, ok())).toEqual([]);
    expect(state.steps.c?.status).toBe("pending");
    expect(ids(planner.finish(state, b, ok()))).toEqual(["c#0"]);
    expect(state.status).toBe("running");
  });

  it("runs a whole DAG in dependency order and succeeds", () => {
    const { state, started } = execute(wf);
    expect(ids(started)).toEqual(["a#0", "b#0", "c#0", "d#0"]);
    expect(statuses(state)).toEqual({ a: "succeeded", b: "succeeded", c: "succeeded", d: "succeeded" });
    expect(state.steps.d?.result).toBe("success");
    expect(state.status).toBe("succeeded");
  });

  it("passes a step's outputs to the steps that need it", () => {
    const { state } = execute(
      {
        steps: {
          a: { run: "a" },
          b: { needs: "a", run: "b", if: "${{ steps.a.outputs.go == 'yes' }}" },
        },
      },
      { a: ok({ go: "yes" }) },
    );
    expect(state.steps.a?.outputs).toEqual({ go: "yes" });
    expect(state.steps.b?.status).toBe("succeeded");
  });
});

describe("failure propagation", () => {
  it("skips a step whose needs failed, and the steps after it too", () => {
    const { state, tries } = execute(
      {
        steps: {
          a: { run: "a" },
          b: { needs: "a", run: "b" },
          c: { needs: "b", run: "c" },
          side: { run: "side" },
        },
      },
      { a: FAIL },
    );
    expect(statuses(state)).toEqual({ a: "failed", b: "skipped", c: "skipped", side: "succeeded" });
    expect(state.steps.b?.result).toBe("skipped");
    expect(state.steps.c?.result).toBe("skipped");
    expect(tries("b") + tries("c")).toBe(0);
    expect(state.status).toBe("failed");
  });

  it("reads an if without a status function as success() && (if)", () => {
    const wf: WorkflowSpec = {
      steps: {
        a: { run: "a" },
        b: { needs: "a", run: "b", if: "${{ true }}" },
        c: { needs: "a", run: "c", if: "inputs.go" },
      },
    };
    // a failed: a true condition does not make b run.
    expect(statuses(execute(wf, { a: FAIL }, { go: true }).state)).toMatchObject({
      b: "skipped",
      c: "skipped",
    });
    // a succeeded: the condition decides.
    expect(statuses(execute(wf, {}, { go: true }).state)).toMatchObject({ b: "succeeded", c: "succeeded" });
    expect(statuses(execute(wf, {}, { go: false }).state)).toMatchObject({ b: "succeeded", c: "skipped" });
  });

  it("treats if: false (a YAML boolean) as never, and if: true as success()", () => {
    const { state } = execute(
      {
        steps: {
          a: { run: "a" },
          never: { run: "x", if: false },
          after: { needs: "a", run: "y", if: true },
        },
      },
      { a: FAIL },
    );
    expect(statuses(state)).toMatchObject({ never: "skipped", after: "skipped" });
  });

  it("runs a step with if: ${{ always() }} after a failure, and the run still fails", () => {
    const { state, tries } = execute(
      {
        steps: {
          a: { run: "a" },
          cleanup: { needs: "a", run: "c", if: "${{ always() }}" },
        },
      },
      { a: FAIL },
    );
    expect(tries("cleanup")).toBe(1);
    expect(state.steps.cleanup?.status).toBe("succeeded");
    expect(state.status).toBe("failed");
  });

  it("runs a bare if: failure() only when an ancestor failed", () => {
    const wf: WorkflowSpec = {
      steps: {
        a: { run: "a" },
        onFailure: { needs: "a", run: "alert", if: "failure()" },
      },
    };
    const failed = execute(wf, { a: FAIL });
    expect(failed.tries("onFailure")).toBe(1);
    expect(failed.state.status).toBe("failed");
    const passed = execute(wf);
    expect(passed.tries("onFailure")).toBe(0);
    expect(passed.state.steps.onFailure?.status).toBe("skipped");
    expect(passed.state.status).toBe("succeeded");
  });

  it("sees a failure several levels up: success() is false and failure() true", () => {
    const { state } = execute(
      {
        steps: {
          a: { run: "a" },
          b: { needs: "a", run: "b", if: "always()" },
          c: { needs: "b", run: "c", if: "failure()" },
          d: { needs: "b", run: "d", if: "success()" },
          e: { needs: "b", run: "e" },
        },
      },
      { a: FAIL },
    );
    // b succeeded, yet c, d and e see a's failure through it.
    expect(statuses(state)).toEqual({
      a: "failed",
      b: "succeeded",
      c: "succeeded",
      d: "skipped",
      e: "skipped",
    });
  });

  it("fails a step whose if cannot be evaluated, and skips what needs it", () => {
    const { state, tries } = execute({
      steps: {
        a: { run: "a", if: "${{ fromJSON('not json') }}" },
        b: { needs: "a", run: "b" },
      },
    });
    expect(tries("a")).toBe(0);
    expect(state.steps.a?.status).toBe("failed");
    expect(state.steps.a?.result).toBe("failure");
    expect(state.steps.a?.error).toMatch(/^if: .*fromJSON/);
    expect(state.steps.b?.status).toBe("skipped");
    expect(state.status).toBe("failed");
  });
});

describe("continue_on_error", () => {
  it("records the failure but lets the run and the dependents go on", () => {
    const { state, tries } = execute(
      {
        steps: {
          a: { run: "a", continue_on_error: true },
          b: { needs: "a", run: "b" },
          c: {
            needs: "a",
            run: "c",
            if: "${{ steps.a.outcome == 'failure' && steps.a.result == 'success' }}",
          },
        },
      },
      { a: FAIL },
    );
    expect(state.steps.a).toMatchObject({ status: "failed", outcome: "failure", result: "success" });
    expect(tries("b")).toBe(1);
    expect(tries("c")).toBe(1);
    expect(state.status).toBe("succeeded");
  });

  it("takes an expression", () => {
    const wf: WorkflowSpec = {
      steps: { a: { run: "a", continue_on_error: "${{ inputs.lenient }}" } },
    };
    expect(execute(wf, { a: FAIL }, { lenient: true }).state.status).toBe("succeeded");
    expect(execute(wf, { a: FAIL }, { lenient: false }).state.status).toBe("failed");
  });
});

describe("retries", () => {
  it("counts every try: attempts: 3 means at most 3 tries", () => {
    const { state, started } = execute({ steps: { a: { run: "a", retry: { attempts: 3 } } } }, { a: FAIL });
    expect(started.map((t) => t.attempt)).toEqual([1, 2, 3]);
    expect(state.steps.a?.items[0]?.attempts).toBe(3);
    expect(state.steps.a?.status).toBe("failed");
    expect(state.status).toBe("failed");
  });

  it("stops retrying once a try succeeds", () => {
    const { state, tries } = execute(
      { steps: { a: { run: "a", retry: { attempts: 5 } } } },
      { a: [FAIL, TIMEOUT, ok({ n: "3" })] },
    );
    expect(tries("a")).toBe(3);
    expect(state.steps.a?.status).toBe("succeeded");
    expect(state.steps.a?.outputs).toEqual({ n: "3" });
    expect(state.status).toBe("succeeded");
  });

  it("does not retry without a retry spec", () => {
    expect(execute({ steps: { a: { run: "a" } } }, { a: FAIL }).tries("a")).toBe(1);
  });

  it("uses defaults.retry when the step has none", () => {
    const { tries } = execute(
      { defaults: { retry: { attempts: 2 } }, steps: { a: { run: "a" } } },
      { a: FAIL },
    );
    expect(tries("a")).toBe(2);
  });

  it("waits the same delay before each retry with constant backoff", () => {
    const { requested } = execute(
      { steps: { a: { run: "a", retry: { attempts: 3, delay: "10s", backoff: "constant" } } } },
      { a: FAIL },
    );
    expect(requested.map((t) => [t.attempt, t.delayMs])).toEqual([
      [1, 0],
      [2, 10_000],
      [3, 10_000],
    ]);
  });

  it("doubles the delay before each retry with exponential backoff", () => {
    const { requested } = execute(
      { steps: { a: { run: "a", retry: { attempts: 4, delay: "10s", backoff: "exponential" } } } },
      { a: FAIL },
    );
    expect(requested.map((t) => t.delayMs)).toEqual([0, 10_000, 20_000, 40_000]);
  });

  it("does not retry a failure marked retryable: false", () => {
    const { tries, state } = execute(
      { steps: { a: { run: "a", retry: { attempts: 3 } } } },
      { a: { status: "failed", error: "bad input", retryable: false } },
    );
    expect(tries("a")).toBe(1);
    expect(state.steps.a?.items[0]?.error).toBe("bad input");
  });

  it("does not retry a try that fails after the run was cancelled", () => {
    const planner = new Planner({ steps: { a: { run: "a", retry: { attempts: 3 } } } }, INFO);
    const { state, tasks } = planner.start();
    const a = tasks[0] as Task;
    planner.claim(state, a);
    expect(ids(planner.cancel(state).kill)).toEqual(["a#0"]);
    expect(planner.finish(state, a, FAIL)).toEqual([]);
    expect(state.steps.a?.items[0]?.attempts).toBe(1);
    expect(state.status).toBe("cancelled");
  });

  it("drops a queued retry when the run is cancelled", () => {
    const planner = new Planner({ steps: { a: { run: "a", retry: { attempts: 3, delay: "1m" } } } }, INFO);
    const { state, tasks } = planner.start();
    planner.claim(state, tasks[0] as Task);
    const [retry] = planner.finish(state, tasks[0] as Task, FAIL);
    expect(retry).toMatchObject({ step: "a", attempt: 2, delayMs: 60_000 });
    planner.cancel(state);
    expect(planner.claim(state, retry as Task)).toBe(false);
    expect(state.status).toBe("cancelled");
  });
});

describe("for_each", () => {
  it("fans out one task per item and lists outputs in item order, whatever order items finish in", () => {
    const planner = new Planner(
      {
        steps: {
          deploy: { for_each: ["eu", "us", "ap"], run: "deploy" },
          announce: { needs: "deploy", run: "announce" },
        },
        outputs: { urls: "${{ steps.deploy.outputs.url }}" },
      },
      INFO,
    );
    const { state, tasks } = planner.start();
    expect(ids(tasks)).toEqual(["deploy#0", "deploy#1", "deploy#2"]);
    expect(state.steps.deploy?.items.map((i) => i.item)).toEqual(["eu", "us", "ap"]);
    for (const t of tasks) expect(planner.claim(state, t)).toBe(true);
    const url = (t: Task) => ok({ url: `https://${state.steps.deploy?.items[t.index]?.item}`, n: t.index });
    const [eu, us, ap] = tasks as [Task, Task, Task];
    expect(planner.finish(state, ap, url(ap))).toEqual([]);
    expect(planner.finish(state, eu, url(eu))).toEqual([]);
    expect(state.steps.deploy?.status).toBe("running");
    expect(ids(planner.finish(state, us, url(us)))).toEqual(["announce#0"]);
    expect(state.steps.deploy?.outputs).toEqual({
      url: ["https://eu", "https://us", "https://ap"],
      n: [0, 1, 2],
    });
  });

  it("evaluates for_each from an expression and gives each task its item", () => {
    const seen: unknown[] = [];
    const { state } = execute(
      {
        steps: {
          list: { run: "list" },
          each: { needs: "list", for_each: "${{ fromJSON(steps.list.outputs.json) }}", run: "x" },
        },
      },
      {
        list: ok({ json: '[{"n":1},{"n":2}]' }),
        each: (item) => {
          seen.push(item);
          return ok();
        },
      },
    );
    expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
    expect(state.steps.each?.fanOut).toBe(true);
  });

  it("fills a missing output of one item with null so positions still match items", () => {
    const { state } = execute(
      { steps: { each: { for_each: [1, 2, 3], run: "x" } } },
      { each: (item) => ok(item === 2 ? {} : { v: `v${item}` }) },
    );
    expect(state.steps.each?.outputs).toEqual({ v: ["v1", null, "v3"] });
  });

  it("fails the step when one item fails, after every item has run", () => {
    const { state, tries } = execute(
      {
        steps: {
          each: { for_each: ["a", "b", "c"], run: "x" },
          next: { needs: "each", run: "y" },
        },
      },
      { each: (item) => (item === "b" ? FAIL : ok()) },
    );
    expect(tries("each")).toBe(3);
    expect(state.steps.each?.items.map((i) => i.status)).toEqual(["succeeded", "failed", "succeeded"]);
    expect(state.steps.each?.status).toBe("failed");
    expect(state.steps.next?.status).toBe("skipped");
    expect(state.status).toBe("failed");
  });

  it("retries only the item that failed", () => {
    const { started, state } = execute(
      { steps: { each: { for_each: ["a", "b"], run: "x", retry: { attempts: 2 } } } },
      { each: (item, task) => (item === "b" && task.attempt === 1 ? FAIL : ok()) },
    );
    expect(ids(started)).toEqual(["each#0", "each#1", "each#1"]);
    expect(state.status).toBe("succeeded");
  });

  it("succeeds at once over an empty list, with no tasks and empty outputs", () => {
    const { state, started } = execute({
      steps: {
        each: { for_each: "${{ fromJSON('[]') }}", run: "x" },
        next: { needs: "each", run: "y" },
      },
    });
    expect(ids(started)).toEqual(["next#0"]);
    expect(state.steps.each).toMatchObject({ status: "succeeded", result: "success", outputs: {} });
    expect(state.status).toBe("succeeded");
  });

  it("fails the step with a clear error when for_each is not a list", () => {
    const { state, started } = execute(
      { steps: { each: { for_each: "${{ inputs.n }}", run: "x" } } },
      {},
      { n: 3 },
    );
    expect(started).toEqual([]);
    expect(state.steps.each?.status).toBe("failed");
    expect(state.steps.each?.error).toBe("for_each must give a list, got 3");
    expect(state.status).toBe("failed");
  });
});

describe("workflow outputs", () => {
  it("are evaluated when the run ends, and a whole-value expression keeps its type", () => {
    const planner = new Planner(
      {
        steps: {
          each: { for_each: [1, 2], run: "x" },
          sum: { needs: "each", run: "y" },
        },
        outputs: {
          list: "${{ steps.each.outputs.v }}",
          total: { value: "${{ fromJSON(steps.sum.outputs.total) }}", description: "a number" },
          text: "total=${{ steps.sum.outputs.total }} of ${{ inputs.who }}",
          literal: 7,
        },
      },
      { ...INFO, inputs: { who: "ops" } },
    );
    const { state, tasks } = planner.start();
    const next: Task[] = [];
    for (const t of tasks) {
      planner.claim(state, t);
      next.push(...planner.finish(state, t, ok({ v: `v${t.index}` })));
    }
    // Not yet: outputs wait for the end of the run.
    expect(state.outputs).toEqual({});
    const sum = next[0] as Task;
    expect(sum.step).toBe("sum");
    expect(planner.claim(state, sum)).toBe(true);
    planner.finish(state, sum, ok({ total: "42" }));
    expect(state.status).toBe("succeeded");
    expect(state.outputs).toEqual({ list: ["v0", "v1"], total: 42, text: "total=42 of ops", literal: 7 });
  });

  it("fail the run when they cannot be evaluated", () => {
    const { state } = execute({
      steps: { a: { run: "a" } },
      outputs: { bad: "${{ fromJSON('{') }}" },
    });
    expect(state.status).toBe("failed");
    expect(state.error).toMatch(/^outputs: /);
  });
});

describe("the run's final status", () => {
  it("is succeeded when every step succeeded or was skipped by its condition", () => {
    const { state } = execute({ steps: { a: { run: "a" }, b: { run: "b", if: false } } });
    expect(state.status).toBe("succeeded");
  });

  it("is failed when a step failed", () => {
    expect(execute({ steps: { a: { run: "a" }, b: { run: "b" } } }, { b: FAIL }).state.status).toBe("failed");
  });

  it("is timed_out when every failure is a timeout", () => {
    const { state } = execute({ steps: { a: { run: "a" }, b: { run: "b" } } }, { a: TIMEOUT });
    expect(state.steps.a?.status).toBe("timed_out");
    expect(state.status).toBe("timed_out");
  });

  it("is failed when a timeout comes with another kind of failure", () => {
    const { state } = execute({ steps: { a: { run: "a" }, b: { run: "b" } } }, { a: TIMEOUT, b: FAIL });
    expect(state.status).toBe("failed");
  });

  it("is cancelled when a step was cancelled though no cancel was asked for (a worker stopping)", () => {
    const { state } = execute(
      { steps: { a: { run: "a" }, b: { needs: "a", run: "b" } } },
      { a: { status: "cancelled", exitCode: null } },
    );
    expect(statuses(state)).toEqual({ a: "cancelled", b: "skipped" });
    expect(state.status).toBe("cancelled");
  });

  it("is failed when some items of a step timed out and others failed", () => {
    const { state } = execute(
      { steps: { each: { for_each: [1, 2], run: "x" } } },
      { each: (item) => (item === 1 ? TIMEOUT : FAIL) },
    );
    expect(state.steps.each?.status).toBe("failed");
    expect(state.status).toBe("failed");
  });
});

describe("cancel", () => {
  const wf: WorkflowSpec = {
    steps: {
      slow: { run: "slow" },
      queued: { run: "queued" },
      next: { needs: "slow", run: "next" },
      cleanup: { needs: "slow", run: "cleanup", if: "${{ always() }}" },
      onCancel: { needs: "slow", run: "report", if: "cancelled()" },
    },
  };

  it("drops queued tasks, returns running ones to kill, and still starts always() steps", () => {
    const planner = new Planner(wf, INFO);
    const { state, tasks } = planner.start();
    const [slow, queued] = tasks as [Task, Task];
    expect(planner.claim(state, slow)).toBe(true);

    const { kill, tasks: after } = planner.cancel(state);
    expect(ids(kill)).toEqual(["slow#0"]);
    expect(kill[0]?.attempt).toBe(1);
    expect(after).toEqual([]);
    expect(state.steps.queued?.status).toBe("cancelled");
    expect(planner.claim(state, queued)).toBe(false);
    expect(state.status).toBe("running");

    // The killed step reports back; the clean-up steps start, the rest is cancelled.
    const cleanup = planner.finish(state, slow, { status: "cancelled", exitCode: null });
    expect(ids(cleanup)).toEqual(["cleanup#0", "onCancel#0"]);
    expect(state.steps.next).toMatchObject({ status: "cancelled", result: "cancelled" });
    for (const t of cleanup) {
      expect(planner.claim(state, t)).toBe(true);
      planner.finish(state, t, ok());
    }
    expect(state.steps.cleanup?.status).toBe("succeeded");
    expect(state.status).toBe("cancelled");
  });

  it("does not run a cancelled() step when nothing was cancelled", () => {
    const { state } = execute(wf);
    expect(state.steps.onCancel?.status).toBe("skipped");
    expect(state.status).toBe("succeeded");
  });

  it("finishes the run as cancelled at once when nothing is running", () => {
    const planner = new Planner({ steps: { a: { run: "a" }, b: { needs: "a", run: "b" } } }, INFO);
    const { state } = planner.start();
    expect(planner.cancel(state)).toEqual({ kill: [], tasks: [] });
    expect(statuses(state)).toEqual({ a: "cancelled", b: "cancelled" });
    expect(state.status).toBe("cancelled");
  });

  it("does nothing to a run that has ended", () => {
    const { state, planner } = execute({ steps: { a: { run: "a" } } });
    expect(planner.cancel(state)).toEqual({ kill: [], tasks: [] });
    expect(state.status).toBe("succeeded");
    expect(state.cancelRequested).toBe(false);
  });
});

describe("at-least-once safety", () => {
  it("claim refuses a duplicate of a task already started", () => {
    const planner = new Planner({ steps: { a: { run: "a" } } }, INFO);
    const { state, tasks } = planner.start();
    const a = tasks[0] as Task;
    expect(planner.claim(state, a, 1000)).toBe(true);
    expect(planner.claim(state, { ...a }, 2000)).toBe(false);
    expect(state.steps.a?.items[0]?.startedAt).toBe(1000);
  });

  it("claim refuses a stale attempt and a task for an unknown step or index", () => {
    const planner = new Planner({ steps: { a: { run: "a", retry: { attempts: 2 } } } }, INFO);
    const { state, tasks } = planner.start();
    const first = tasks[0] as Task;
    planner.claim(state, first);
    const [retry] = planner.finish(state, first, FAIL);
    expect(planner.claim(state, first)).toBe(false);
    expect(planner.claim(state, { ...first, step: "nope" })).toBe(false);
    expect(planner.claim(state, { ...(retry as Task), index: 1 })).toBe(false);
    expect(planner.claim(state, retry as Task)).toBe(true);
  });

  it("finish ignores a stale attempt and a second report of the same attempt", () => {
    const planner = new Planner(
      { steps: { a: { run: "a", retry: { attempts: 2 } }, b: { needs: "a", run: "b" } } },
      INFO,
    );
    const { state, tasks } = planner.start();
    const first = tasks[0] as Task;
    planner.claim(state, first);
    const [retry] = planner.finish(state, first, FAIL);
    // A late duplicate of attempt 1 must not end the step that attempt 2 now owns.
    expect(planner.finish(state, first, ok({ stale: "yes" }))).toEqual([]);
    expect(state.steps.a?.items[0]).toMatchObject({ status: "queued", attempts: 2 });
    planner.claim(state, retry as Task);
    expect(ids(planner.finish(state, retry as Task, ok({ fresh: "yes" })))).toEqual(["b#0"]);
    expect(planner.finish(state, retry as Task, FAIL)).toEqual([]);
    expect(state.steps.a).toMatchObject({ status: "succeeded", outputs: { fresh: "yes" } });
  });

  it("records exit code, error and finish time of the last attempt", () => {
    const { state } = execute(
      { steps: { a: { run: "a" } } },
      { a: { status: "failed", exitCode: 2, error: "boom", finishedAt: 5000 } },
    );
    expect(state.steps.a?.items[0]).toMatchObject({ exitCode: 2, error: "boom", finishedAt: 5000 });
  });
});
