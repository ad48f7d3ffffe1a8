import { Masker, type RunInfo, type WorkflowSpec } from "@gantry/core";
import { describe, expect, it } from "vitest";
import type { RunnerLike, RunnerTask } from "../runners/types.js";
import { createSecretCache } from "../secrets/index.js";
import { executeTask, type TaskExecution } from "./execute-task.js";

// executeTask against a runner that prints what it is told: what a step gets and what comes back out.

function execution(
  workflow: WorkflowSpec,
  run: (task: RunnerTask) => ReturnType<RunnerLike["run"]>,
  extra: Partial<TaskExecution> & { trigger?: RunInfo["trigger"] } = {},
) {
  const lines: string[] = [];
  const ran: RunnerTask[] = [];
  const { trigger, ...rest } = extra;
  const x: TaskExecution = {
    workflow,
    info: { id: "run-1", workflow: "wf", attempt: 1, trigger: trigger ?? { type: "manual" }, inputs: {} },
    state: {
      status: "running",
      cancelRequested: false,
      steps: {
        a: {
          status: "running",
          fanOut: false,
          items: [{ status: "running", attempts: 1, outputs: {} }],
          outputs: {},
        },
      },
      outputs: {},
    },
    task: { step: "a", index: 0, attempt: 1, delayMs: 0 },
    ancestors: [],
    runId: "run-1",
    runner: {
      run: (task) => {
        ran.push(task);
        return run(task);
      },
    },
    signal: new AbortController().signal,
    masker: new Masker(),
    secrets: { baseDir: "/", cache: createSecretCache(60_000) },
    action: () => undefined,
    onLine: (stream, line) => lines.push(`${stream}: ${line}`),
    ...rest,
  };
  return { x, lines, ran };
}

const ok = { status: "succeeded" as const, exitCode: 0, startedAt: 1, finishedAt: 2 };

describe("executeTask", () => {
  it("masks the step's secrets, and the values it masks itself, in its lines, outputs and summary", async () => {
    process.env.GANTRY_EXECUTE_TASK_TEST = "hunter2";
    const { x, lines, ran } = execution(
      { steps: { a: { run: "true", env: { TOKEN: "ref+env://GANTRY_EXECUTE_TASK_TEST" } } } },
      async (task) => {
        task.onLine("stdout", `token ${task.task.env.TOKEN}`);
        task.onLine("stdout", "::add-mask::extra-value");
        task.onLine("stderr", "and extra-value");
        return { ...ok, outputs: { out: "hunter2!", other: "extra-value" }, summary: "# hunter2" };
      },
    );
    const { outcome, prepared, summary } = await executeTask(x);
    delete process.env.GANTRY_EXECUTE_TASK_TEST;
    expect(ran[0]?.task.env.TOKEN).toBe("hunter2");
    expect(lines).toEqual(["stdout: token ***", "stderr: and ***"]);
    expect(outcome).toEqual({ ...ok, outputs: { out: "***!", other: "***" } });
    expect(summary).toBe("# ***");
    expect(prepared?.secrets).toContain("hunter2");
    expect(x.masker.secrets()).toEqual(expect.arrayContaining(["hunter2", "extra-value"]));
  });

  it("fails a step whose expression does not evaluate, not to be retried, without running it", async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression
    const { x, ran } = execution({ steps: { a: { run: "echo ${{ nope( }}" } } }, async () => ({
      ...ok,
      outputs: {},
    }));
    const { outcome, prepared } = await executeTask(x);
    expect(ran).toEqual([]);
    expect(prepared).toBeUndefined();
    expect(outcome).toMatchObject({ status: "failed", exitCode: null, retryable: false });
    expect(outcome.error).toMatch(/^steps\.a\.run: /);
  });

  it("turns a runner's error into a failed outcome that is retried, its message masked", async () => {
    const { x } = execution(
      { steps: { a: { run: "true" } } },
      async () => {
        throw new Error("engine said s3cret-value is wrong");
      },
      { now: () => 42 },
    );
    x.masker.add("s3cret-value");
    const { outcome } = await executeTask(x);
    expect(outcome).toEqual({
      status: "failed",
      exitCode: null,
      error: "engine said *** is wrong",
      retryable: true,
      finishedAt: 42,
    });
  });

  it("refuses what the host cannot run, before running it", async () => {
    const { x, ran } = execution(
      { steps: { a: { uses: "gantry/cache", with: { key: "k", path: "p" } } } },
      async () => ({ ...ok, outputs: {} }),
      {
        refuse: { files: (name) => `no gantry/${name} here` },
      },
    );
    const { outcome } = await executeTask(x);
    expect(ran).toEqual([]);
    expect(outcome).toMatchObject({
      status: "failed",
      error: "no gantry/cache here",
      retryable: false,
    });
  });

  it("runs a fork's step without secrets: no run secrets resolved, references emptied, a notice in its log", async () => {
    let asked = 0;
    const { x, lines, ran } = execution(
      { steps: { a: { run: "true", env: { TOKEN: "ref+env://HOME" } } } },
      async () => ({ ...ok, outputs: {} }),
      {
        trigger: { type: "pull_request", secrets_withheld: true },
        runSecrets: async () => {
          asked++;
          return { s: "v" };
        },
      },
    );
    const { outcome } = await executeTask(x);
    expect(outcome.status).toBe("succeeded");
    expect(asked).toBe(0);
    expect(x.info.secrets).toEqual({});
    expect(ran[0]?.task.env.TOKEN).toBe("");
    expect(lines[0]).toMatch(/^stderr: gantry: this run is from a pull request of a fork/);
  });
});
