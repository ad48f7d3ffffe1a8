import { describe, expect, it } from "vitest";
import type { WorkflowSpec } from "../format/types.js";
import { DEFAULT_WORKER_LOST_RETRIES, Planner } from "./plan.js";
import type { RunInfo, RunState, Task, TaskOutcome } from "./state.js";

const INFO: RunInfo = { id: "run-1", workflow: "test", attempt: 1, trigger: { type: "manual" }, inputs: {} };
const LOST: TaskOutcome = {
  status: "failed",
  exitCode: null,
  error: "worker lost: w1 stopped renewing its lease",
  workerLost: true,
};
const FAIL: TaskOutcome = { status: "failed", exitCode: 1 };
const OK: TaskOutcome = { status: "succeeded", exitCode: 0 };

/** Runs the workflow's only step through the outcomes given, one per try; returns the tries' attempts. */
function tries(workflow: WorkflowSpec, outcomes: TaskOutcome[]): { state: RunState; attempts: number[] } {
  const planner = new Planner(workflow, INFO);
  const { state, tasks } = planner.start();
  const queue = [...tasks];
  const attempts: number[] = [];
  while (queue.length > 0) {
    const task = queue.shift() as Task;
    if (!planner.claim(state, task)) continue;
    const outcome = outcomes[attempts.length];
    if (!outcome) throw new Error(`try ${attempts.length + 1} was not expected`);
    attempts.push(task.attempt);
    // A lost try is queued again at once: no retry delay applies to it.
    const next = planner.finish(state, task, outcome);
    if (outcome.workerLost) for (const t of next) expect(t.delayMs).toBe(0);
    queue.push(...next);
  }
  return { state, attempts };
}

describe("worker_lost", () => {
  it("queues a lost try again twice by default, each as a new try, and then fails the step saying so", () => {
    expect(DEFAULT_WORKER_LOST_RETRIES).toBe(2);
    const { state, attempts } = tries({ steps: { a: { run: "a" } } }, [LOST, LOST, LOST]);
    expect(attempts).toEqual([1, 2, 3]);
    const item = state.steps.a?.items[0];
    expect(item).toMatchObject({ status: "failed", attempts: 3, lost: 3 });
    expect(item?.error).toMatch(/^worker lost: w1 .*lost on 3 tries \(worker_lost\.retries: 2 spent\)$/);
    expect(state.status).toBe("failed");
  });

  it("finishes the run when a try after a lost one succeeds", () => {
    const { state, attempts } = tries({ steps: { a: { run: "a" } } }, [LOST, OK]);
    expect(attempts).toEqual([1, 2]);
    expect(state.status).toBe("succeeded");
  });

  it("is settable per step and per workflow (the step's wins)", () => {
    expect(tries({ steps: { a: { run: "a", worker_lost: { retries: 0 } } } }, [LOST]).attempts).toEqual([1]);
    const wf: WorkflowSpec = { defaults: { worker_lost: { retries: 4 } }, steps: { a: { run: "a" } } };
    expect(tries(wf, [LOST, LOST, LOST, LOST, OK]).state.status).toBe("succeeded");
    const both: WorkflowSpec = {
      defaults: { worker_lost: { retries: 4 } },
      steps: { a: { run: "a", worker_lost: { retries: 1 } } },
    };
    expect(tries(both, [LOST, LOST]).state.steps.a?.status).toBe("failed");
  });

  it("does not use up the step's own retries, nor do they stand in for worker_lost", () => {
    // retry: 2 tries of the step itself; the lost tries in between do not count.
    const wf: WorkflowSpec = { steps: { a: { run: "a", retry: { attempts: 2 } } } };
    const { state, attempts } = tries(wf, [LOST, FAIL, LOST, OK]);
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(state.status).toBe("succeeded");
    // A plain failure is not a lost worker: without retry it ends the step at once.
    expect(tries({ steps: { a: { run: "a" } } }, [FAIL]).state.status).toBe("failed");
  });

  it("refuses a late result from a try that was superseded", () => {
    const planner = new Planner({ steps: { a: { run: "a" } } }, INFO);
    const { state, tasks } = planner.start();
    const first = tasks[0] as Task;
    planner.claim(state, first);
    const [second] = planner.finish(state, first, LOST);
    expect(second).toMatchObject({ attempt: 2 });
    planner.claim(state, second as Task);
    // The first try's worker comes back and reports: nothing changes.
    expect(planner.finish(state, first, OK)).toEqual([]);
    expect(state.steps.a?.items[0]).toMatchObject({ status: "running", attempts: 2 });
  });
});
