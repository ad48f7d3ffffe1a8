import { type GateChoice, gateFor } from "../approvals/gate.js";
import { interpolationString, truthy } from "../expressions/data.js";
import { evaluateExpression, evaluateTemplate, parseExpression } from "../expressions/evaluate.js";
import { expressionFacts } from "../expressions/references.js";
import { wholeExpression } from "../expressions/template.js";
import type { MatrixSpec } from "../format/job-types.js";
import { runnerSpecFor } from "../format/runner.js";
import type { StepSpec, WorkflowSpec } from "../format/types.js";
import { Ancestors, needsOf } from "../graph/dag.js";
import { type WorkflowGraph, workflowGraph } from "../graph/workflow-graph.js";
import { legName, matrixLegs } from "../jobs/matrix.js";
import { nodesChosen } from "../nodes/run-nodes.js";
import { statusFlags, stepContext } from "./context.js";
import { retryDelayMs } from "./retry.js";
import {
  type ItemState,
  type RunInfo,
  type RunState,
  type StepState,
  type Task,
  type TaskOutcome,
  TERMINAL_ITEM,
  TERMINAL_STEP,
} from "./state.js";

/** A try lost with its worker is queued again this many times unless the workflow says otherwise. */
export const DEFAULT_WORKER_LOST_RETRIES = 2;

function workerLostRetries(spec: StepSpec, workflow: WorkflowSpec): number {
  return (spec.worker_lost ?? workflow.defaults?.worker_lost)?.retries ?? DEFAULT_WORKER_LOST_RETRIES;
}

/**
 * The planner: pure functions from a run's state and an event to the next state and the tasks to start.
 * It mutates the state it is given (callers own it: a local run keeps it in memory, a worker reads and
 * writes it under a lock on the run row) and never does I/O, reads a clock or draws random numbers.
 */
export class Planner {
  /** Each step's ancestors, made when first asked (a map of every step's, per planner, costs n² on a chain). */
  private readonly ancestors = new Map<string, Ancestors>();
  private readonly graph: WorkflowGraph;
  /**
   * The steps whose state this planner changed, so a store writes those steps' rows and not the whole
   * run (a step's start and finish touch a few steps of thousands).
   */
  readonly touched = new Set<string>();

  /**
   * `graph` is the workflow's needs, reversed: made once per revision by a caller that plans many
   * events of the same workflow (workflowGraph), else here.
   */
  constructor(
    readonly workflow: WorkflowSpec,
    readonly info: RunInfo,
    graph?: WorkflowGraph,
  ) {
    this.graph = graph ?? workflowGraph(workflow);
  }

  /** A new run: every step pending, then the first ready ones queued. */
  start(): { state: RunState; tasks: Task[] } {
    const state: RunState = { status: "running", cancelRequested: false, steps: {}, outputs: {} };
    for (const id of Object.keys(this.workflow.steps)) {
      state.steps[id] = { status: "pending", fanOut: false, items: [], outputs: {} };
      this.touched.add(id);
    }
    return { state, tasks: this.advance(state) };
  }

  /**
   * A re-run from the failed steps: steps that succeeded before (and whose whole ancestry did) keep
   * their results and outputs; everything else runs again.
   */
  startFrom(previous: Record<string, StepState>): { state: RunState; tasks: Task[] } {
    const state: RunState = { status: "running", cancelRequested: false, steps: {}, outputs: {} };
    // A step's whole ancestry succeeded when it and each of its needs' did: one pass over the graph,
    // with a stack of its own (a 10,000-step chain is deeper than the call stack).
    const steps = this.workflow.steps;
    const succeeded = new Map<string, boolean>();
    const opened = new Set<string>();
    const wholly = (start: string): boolean => {
      const stack = [start];
      while (stack.length > 0) {
        const id = stack[stack.length - 1] as string;
        if (succeeded.has(id)) {
          stack.pop();
          continue;
        }
        const needs = needsOf(steps[id]).filter((need) => need in steps);
        const open = needs.filter((need) => !succeeded.has(need));
        if (open.length > 0 && !opened.has(id)) {
          opened.add(id);
          stack.push(...open);
          continue;
        }
        stack.pop();
        succeeded.set(
          id,
          previous[id]?.status === "succeeded" && needs.every((need) => succeeded.get(need) === true),
        );
      }
      return succeeded.get(start) === true;
    };
    for (const id of Object.keys(this.workflow.steps)) {
      const before = previous[id];
      const keep = before?.status === "succeeded" && wholly(id);
      state.steps[id] =
        keep && before
          ? structuredClone(before)
          : { status: "pending", fanOut: false, items: [], outputs: {} };
      this.touched.add(id);
    }
    return { state, tasks: this.advance(state) };
  }

  /** Every step a step depends on, directly or further up. */
  ancestorsOf(step: string): ReadonlySet<string> {
    if (!(step in this.workflow.steps)) return new Set();
    let found = this.ancestors.get(step);
    if (!found) {
      found = new Ancestors(this.workflow.steps, step);
      this.ancestors.set(step, found);
    }
    return found;
  }

  /**
   * The engine is about to start a task. False when it must not: the run was cancelled, or the task is
   * stale (a retry that was superseded). This is what makes at-least-once delivery safe to act on.
   */
  claim(state: RunState, task: Task, startedAt?: number): boolean {
    const item = state.steps[task.step]?.items[task.index];
    if (item?.status !== "queued" || item.attempts !== task.attempt) return false;
    item.status = "running";
    item.startedAt ??= startedAt;
    this.touched.add(task.step);
    return true;
  }

  /**
   * Gives a started task back without counting it as an attempt: a worker shutting down hands back what
   * it could not finish, and the same attempt runs again elsewhere.
   */
  release(state: RunState, task: Task): boolean {
    const item = state.steps[task.step]?.items[task.index];
    if (item?.status !== "running" || item.attempts !== task.attempt) return false;
    item.status = "queued";
    this.touched.add(task.step);
    return true;
  }

  /** Records how an attempt ended and returns the tasks that are now ready (a retry, or dependents). */
  finish(state: RunState, task: Task, outcome: TaskOutcome): Task[] {
    const step = state.steps[task.step];
    const item = step?.items[task.index];
    if (!step || !item || item.attempts !== task.attempt || TERMINAL_ITEM.has(item.status)) return [];
    this.touched.add(task.step);
    item.exitCode = outcome.exitCode ?? null;
    item.outputs = outcome.outputs ?? {};
    if (outcome.steps) item.steps = outcome.steps;
    else delete item.steps;
    if (outcome.finishedAt !== undefined) item.finishedAt = outcome.finishedAt;
    if (outcome.error !== undefined) item.error = outcome.error;
    else delete item.error;
    const spec = this.workflow.steps[task.step] as StepSpec;
    if (outcome.workerLost && !state.cancelRequested) {
      const allowed = workerLostRetries(spec, this.workflow);
      const lost = item.lost ?? 0;
      item.lost = lost + 1;
      if (lost < allowed) {
        item.attempts += 1;
        item.status = "queued";
        return [{ step: task.step, index: task.index, attempt: item.attempts, delayMs: 0 }];
      }
      item.error = `${outcome.error ?? "worker lost"}; the step failed because its worker was lost on ${lost + 1} tries (worker_lost.retries: ${allowed} spent)`;
      item.status = "failed";
      const released = this.dispatchLegs(state, task.step, step);
      this.settleStep(step);
      return [...released, ...this.advance(state, [task.step])];
    }
    const retry = spec.retry ?? this.workflow.defaults?.retry;
    const failed = outcome.status === "failed" || outcome.status === "timed_out";
    if (
      failed &&
      retry &&
      // Tries lost with their worker were not the step's: they do not use up its retries.
      item.attempts - (item.lost ?? 0) < retry.attempts &&
      !state.cancelRequested &&
      outcome.retryable !== false
    ) {
      item.attempts += 1;
      item.status = "queued";
      return [
        {
          step: task.step,
          index: task.index,
          attempt: item.attempts,
          delayMs: retryDelayMs(retry, item.attempts),
        },
      ];
    }
    item.status = outcome.status;
    const released = this.dispatchLegs(state, task.step, step);
    this.settleStep(step);
    return [...released, ...this.advance(state, [task.step])];
  }

  /**
   * Cancels the run. Queued tasks are dropped at once; the returned `kill` list names the running ones,
   * which the engine stops and then reports as cancelled. Steps whose `if` asks for `always()` or
   * `cancelled()` still run, as clean-up does in GitHub Actions.
   */
  cancel(state: RunState): { kill: Task[]; tasks: Task[] } {
    if (state.status !== "running") return { kill: [], tasks: [] };
    state.cancelRequested = true;
    const kill: Task[] = [];
    for (const [id, step] of Object.entries(state.steps)) {
      this.touched.add(id);
      step.items.forEach((item, index) => {
        if (item.status === "queued" || item.status === "waiting") item.status = "cancelled";
        else if (item.status === "running")
          kill.push({ step: id, index, attempt: item.attempts, delayMs: 0 });
      });
      if (step.status === "running") this.settleStep(step);
    }
    return { kill, tasks: this.advance(state) };
  }

  /**
   * Decides every pending step whose needs are done, until nothing changes; finishes the run at the end.
   * Given the steps that just ended (`ended`), it looks only at the steps that need them, and at theirs
   * in turn when one of those ends at once (skipped): a step's end then costs the same in a workflow of
   * ten steps or of ten thousand.
   */
  advance(state: RunState, ended?: readonly string[]): Task[] {
    const tasks: Task[] = [];
    if (ended) this.advanceFrom(state, ended, tasks);
    else {
      let changed = true;
      while (changed && state.status === "running") {
        changed = false;
        for (const [id, step] of Object.entries(state.steps)) {
          if (step.status !== "pending" || !this.needsDone(state, id)) continue;
          this.decide(state, id, step, tasks);
          changed = true;
        }
      }
    }
    if (state.status === "running" && this.allEnded(state)) this.finishRun(state);
    return tasks;
  }

  private advanceFrom(state: RunState, ended: readonly string[], tasks: Task[]): void {
    const queue = [...ended];
    for (let i = 0; i < queue.length && state.status === "running"; i++) {
      if (!TERMINAL_STEP.has(state.steps[queue[i] as string]?.status ?? "pending")) continue;
      for (const id of this.graph.dependents.get(queue[i] as string) ?? []) {
        const step = state.steps[id];
        if (step?.status !== "pending" || !this.needsDone(state, id)) continue;
        this.decide(state, id, step, tasks);
        if (TERMINAL_STEP.has(step.status)) queue.push(id);
      }
    }
  }

  /**
   * Whether every need of a step ended. From the last: steps end roughly in the order they were queued,
   * so a wide fan-in finds the one still running first, not after the thousands that ended.
   */
  private needsDone(state: RunState, id: string): boolean {
    const needs = needsOf(this.workflow.steps[id]);
    for (let i = needs.length - 1; i >= 0; i--)
      if (!TERMINAL_STEP.has(state.steps[needs[i] as string]?.status ?? "pending")) return false;
    return true;
  }

  /**
   * Whether every step ended: every step is a sink (one no step needs) or an ancestor of one, and a step
   * ends only after its needs did, so the sinks tell. From the last, as needsDone.
   */
  private allEnded(state: RunState): boolean {
    const sinks = this.graph.sinks;
    for (let i = sinks.length - 1; i >= 0; i--)
      if (!TERMINAL_STEP.has(state.steps[sinks[i] as string]?.status ?? "pending")) return false;
    return true;
  }

  private decide(state: RunState, id: string, step: StepState, tasks: Task[]): void {
    this.touched.add(id);
    const spec = this.workflow.steps[id] as StepSpec;
    step.ancestry = this.ancestryOf(state, id);
    const flags = {
      success: step.ancestry.succeeded && !state.cancelRequested,
      failure: step.ancestry.failed,
      cancelled: state.cancelRequested,
    };
    let run: boolean;
    try {
      run = this.condition(spec, flags, state);
    } catch (error) {
      failBeforeStart(step, `if: ${(error as Error).message}`);
      return;
    }
    if (!run) {
      step.status = state.cancelRequested ? "cancelled" : "skipped";
      step.result = step.outcome = state.cancelRequested ? "cancelled" : "skipped";
      return;
    }
    let items: unknown[] | undefined;
    let gate: GateChoice = { kind: "start", delayMs: 0 };
    const runner = runnerSpecFor(this.workflow, id);
    try {
      const ctx = stepContext(this.workflow, this.info, state, spec, { status: flags });
      gate = gateFor(this.info, spec, ctx);
      if (gate.kind === "refuse") {
        failBeforeStart(step, gate.error);
        return;
      }
      if (runner.type === "ssh") {
        const text = interpolationString(evaluateTemplate(runner.nodes ?? "", ctx));
        const chosen = nodesChosen(this.info.nodes, text);
        if ("error" in chosen) {
          failBeforeStart(step, `runner.nodes: ${chosen.error}`);
          return;
        }
        // One item per node, named: `item` is the node's name, as a for_each item is its value.
        items = chosen.nodes.map((n) => n.name);
      }
      if (spec.for_each !== undefined) {
        const list = evaluateTemplate(spec.for_each, ctx);
        if (!Array.isArray(list)) {
          failBeforeStart(step, `for_each must give a list, got ${JSON.stringify(list)}`);
          return;
        }
        items = list;
      }
      if (spec.strategy !== undefined) {
        const matrix = evaluateTemplate(spec.strategy.matrix, ctx);
        const legs =
          matrix !== null && typeof matrix === "object" && !Array.isArray(matrix)
            ? matrixLegs(matrix as MatrixSpec)
            : { error: `it must give a map of axes, got ${JSON.stringify(matrix)}` };
        if ("error" in legs) {
          failBeforeStart(step, `strategy.matrix: ${legs.error}`);
          return;
        }
        items = legs;
        step.matrix = true;
      }
      step.continueOnError = truthy(evaluateTemplate(spec.continue_on_error ?? false, ctx));
    } catch (error) {
      failBeforeStart(step, (error as Error).message);
      return;
    }
    step.fanOut = items !== undefined;
    step.items = (items ?? [undefined]).map(
      (item): ItemState => ({
        ...(step.fanOut ? { item } : {}),
        ...(step.matrix ? { name: legName(item as Record<string, unknown>) } : {}),
        status: "queued",
        attempts: 1,
        outputs: {},
      }),
    );
    step.status = "running";
    if (step.items.length === 0) {
      this.settleStep(step);
      return;
    }
    // Nodes or legs beyond max_parallel wait (attempt 0: nothing can claim them) until one finishes.
    const limit = this.legLimit(id);
    if (gate.kind === "gate") {
      // Nothing is queued: the engine queues the items when a person approves (approvals/gate.ts).
      step.gate = gate.gate;
      step.items.forEach((item, index) => {
        item.status = "waiting";
        if (index >= limit) item.attempts = 0;
      });
      return;
    }
    step.items.forEach((item, index) => {
      if (index < limit)
        tasks.push({ step: id, index, attempt: 1, delayMs: gate.kind === "start" ? gate.delayMs : 0 });
      else item.attempts = 0;
    });
  }

  /**
   * The results of a step's ancestors, for a step about to be decided: from its needs' own results and
   * ancestry when each has one, else (a state written before ancestry was kept) from every ancestor.
   */
  private ancestryOf(state: RunState, id: string): NonNullable<StepState["ancestry"]> {
    let succeeded = true;
    let failed = false;
    for (const need of needsOf(this.workflow.steps[id])) {
      if (!(need in this.workflow.steps)) continue;
      const before = state.steps[need];
      if (!before?.ancestry) {
        const walked = statusFlags({ ...state, cancelRequested: false }, this.ancestorsOf(id));
        return { succeeded: walked.success, failed: walked.failure };
      }
      if (before.result !== "success" || !before.ancestry.succeeded) succeeded = false;
      if (before.result === "failure" || before.ancestry.failed) failed = true;
    }
    return { succeeded, failed };
  }

  /** How many nodes of an ssh step, or legs of a matrix, run at once. */
  private legLimit(id: string): number {
    const runner = runnerSpecFor(this.workflow, id);
    if (runner.type === "ssh") return runner.max_parallel ?? 1;
    return this.workflow.steps[id]?.strategy?.max_parallel ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Whether a failed node or leg stops those not yet started: an ssh step unless keep_going (Rundeck's
   * default stops at a failed node), a matrix unless fail_fast is false (GitHub's default is true).
   */
  private stopsOnFailure(state: RunState, id: string): boolean {
    const spec = this.workflow.steps[id] as StepSpec;
    const runner = runnerSpecFor(this.workflow, id);
    if (runner.type === "ssh") return !runner.keep_going;
    if (!spec.strategy) return false;
    const failFast = spec.strategy.fail_fast ?? true;
    if (typeof failFast === "boolean") return failFast;
    try {
      return truthy(evaluateTemplate(failFast, stepContext(this.workflow, this.info, state, spec)));
    } catch {
      return true;
    }
  }

  /**
   * After a node of an ssh step or a leg of a matrix finished: starts waiting ones while fewer than
   * max_parallel run, or, once one failed and the step stops on failure, cancels those that have not
   * started (ones already running finish).
   */
  private dispatchLegs(state: RunState, id: string, step: StepState): Task[] {
    const runner = runnerSpecFor(this.workflow, id);
    if (runner.type !== "ssh" && !step.matrix) return [];
    const failed = step.items.find((i) => i.status === "failed" || i.status === "timed_out");
    const notStarted = (i: ItemState) =>
      i.status === "queued" && (i.attempts === 0 || (i.attempts === 1 && i.startedAt === undefined));
    if (failed && this.stopsOnFailure(state, id)) {
      for (const item of step.items) {
        if (!notStarted(item)) continue;
        item.status = "cancelled";
        item.error =
          runner.type === "ssh"
            ? `not started: node ${String(failed.item)} failed (keep_going is false)`
            : `not started: leg ${failed.name ?? "?"} failed (fail_fast)`;
      }
      return [];
    }
    const limit = this.legLimit(id);
    let active = step.items.filter(
      (i) => i.status === "running" || (i.status === "queued" && i.attempts > 0),
    ).length;
    const tasks: Task[] = [];
    step.items.forEach((item, index) => {
      if (active >= limit || item.status !== "queued" || item.attempts !== 0) return;
      item.attempts = 1;
      active += 1;
      tasks.push({ step: id, index, attempt: 1, delayMs: 0 });
    });
    return tasks;
  }

  /** GitHub's rule: an `if` without a status function means `success() && (if)`. */
  private condition(spec: StepSpec, flags: ReturnType<typeof statusFlags>, state: RunState): boolean {
    const cond = spec.if;
    if (cond === undefined || typeof cond === "boolean") return flags.success && cond !== false;
    const expr = wholeExpression(cond)?.expr ?? cond;
    if (!expressionFacts(parseExpression(expr)).usesStatusFunction && !flags.success) return false;
    const ctx = stepContext(this.workflow, this.info, state, spec, { status: flags });
    return truthy(evaluateExpression(expr, ctx));
  }

  /** When every item of a step has ended, the step ends: its status, result and (listed) outputs. */
  private settleStep(step: StepState): void {
    if (!step.items.every((i) => TERMINAL_ITEM.has(i.status))) return;
    const failing = step.items.filter((i) => i.status === "failed" || i.status === "timed_out");
    if (failing.length > 0) {
      step.status = failing.every((i) => i.status === "timed_out") ? "timed_out" : "failed";
      step.outcome = "failure";
      step.result = step.continueOnError ? "success" : "failure";
    } else if (step.items.some((i) => i.status === "cancelled")) {
      step.status = "cancelled";
      step.outcome = step.result = "cancelled";
    } else {
      step.status = "succeeded";
      step.outcome = step.result = "success";
    }
    step.outputs = step.matrix
      ? legOutputs(step.items)
      : step.fanOut
        ? listOutputs(step.items)
        : (step.items[0]?.outputs ?? {});
  }

  private finishRun(state: RunState): void {
    const failing = Object.values(state.steps).filter((s) => s.result === "failure");
    // A step can end cancelled without a cancel of the run (a worker stopping mid-task); its dependents
    // were skipped, so the run did not succeed.
    const anyCancelled = Object.values(state.steps).some((s) => s.result === "cancelled");
    if (state.cancelRequested) state.status = "cancelled";
    else if (failing.length > 0)
      state.status = failing.every((s) => s.status === "timed_out") ? "timed_out" : "failed";
    else state.status = anyCancelled ? "cancelled" : "succeeded";
    try {
      const ctx = stepContext(this.workflow, this.info, state, undefined);
      for (const [name, spec] of Object.entries(this.workflow.outputs ?? {})) {
        const value = isOutputObject(spec) ? spec.value : spec;
        state.outputs[name] = evaluateTemplate(value, ctx);
      }
    } catch (error) {
      state.error = `outputs: ${(error as Error).message}`;
      if (state.status === "succeeded") state.status = "failed";
    }
  }
}

function failBeforeStart(step: StepState, error: string): void {
  step.status = "failed";
  step.result = step.outcome = "failure";
  step.error = error;
}

/** A `for_each` step's outputs: each output name maps to the list of the items' values, in item order. */
function listOutputs(items: ItemState[]): Record<string, unknown[]> {
  const names = new Set(items.flatMap((i) => Object.keys(i.outputs)));
  const outputs: Record<string, unknown[]> = {};
  for (const name of names) outputs[name] = items.map((i) => i.outputs[name] ?? null);
  return outputs;
}

/** A matrix's outputs: each output name maps to every leg's value, keyed by the leg's name. */
function legOutputs(items: ItemState[]): Record<string, Record<string, unknown>> {
  const names = new Set(items.flatMap((i) => Object.keys(i.outputs)));
  const outputs: Record<string, Record<string, unknown>> = {};
  for (const name of names) {
    outputs[name] = Object.fromEntries(items.map((i) => [i.name ?? "", i.outputs[name] ?? null]));
  }
  return outputs;
}

function isOutputObject(spec: unknown): spec is { value: unknown } {
  return spec !== null && typeof spec === "object" && !Array.isArray(spec) && "value" in spec;
}
