import { coerceInputs, type RunInfo } from "@gantry/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadWorkflow } from "../loader/load-workflow.js";
import { LocalRunner } from "../runners/local/local-runner.js";
import { tempDir } from "../testing/temp-dir.js";
import type { RunEvent } from "./events.js";
import { runWorkflow } from "./run-workflow.js";

describe("runWorkflow", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  async function start(
    yaml: string,
    options: {
      parallel?: number;
      inputs?: Record<string, unknown>;
      signal?: AbortSignal;
      onEvent?: (e: RunEvent) => void;
    } = {},
  ) {
    const file = tmp.write("wf.yaml", yaml);
    const { loaded, problems } = await loadWorkflow(file);
    expect(problems).toEqual([]);
    if (!loaded) throw new Error("not loaded");
    const inputs = coerceInputs(loaded.workflow.inputs, options.inputs ?? {});
    expect(inputs.errors).toEqual([]);
    const info: RunInfo = {
      id: "run-1",
      workflow: "wf",
      attempt: 1,
      trigger: { type: "manual" },
      inputs: inputs.values,
    };
    const events: RunEvent[] = [];
    const result = await runWorkflow(loaded, {
      runner: new LocalRunner({ tmpRoot: tmp.dir, killGraceMs: 500 }),
      info,
      parallel: options.parallel ?? 4,
      ...(options.signal ? { signal: options.signal } : {}),
      onEvent: (e) => {
        events.push(e);
        options.onEvent?.(e);
      },
    });
    const lines = (step: string) =>
      events.flatMap((e) => (e.type === "line" && e.step === step ? [e.line] : []));
    return { ...result, events, lines };
  }

  it("refuses the file actions, which need Gantry's store, with a message that says where they run", async () => {
    const { report } = await start(`
steps:
  keep:
    uses: gantry/upload-artifact
    with: { name: out, path: out.txt, run: echo hi > out.txt }
`);
    expect(report.status).toBe("failed");
    expect(report.steps.keep?.error).toMatch(
      /gantry\/upload-artifact keeps its files in Gantry's store.*gantry up/,
    );
  });

  it("passes outputs along a DAG and evaluates workflow outputs", async () => {
    const { report } = await start(`
steps:
  a:
    run: echo "n=2" >> "$GANTRY_OUTPUT"
  b:
    needs: a
    shell: python
    run: |
      import os
      open(os.environ["GANTRY_OUTPUT"], "a").write("n=%d\\n" % (\${{ steps.a.outputs.n }} * 10))
outputs:
  n: \${{ fromJSON(steps.b.outputs.n) }}
`);
    expect(report.status).toBe("succeeded");
    expect(report.outputs).toEqual({ n: 20 });
    expect(report.steps.b?.outputs).toEqual({ n: "20" });
  });

  it("runs independent steps at the same time", async () => {
    // Each step waits for the other's file: this finishes only if both run at once.
    const yaml = `
steps:
  left:
    run: touch "$MEET/left"; for i in $(seq 100); do [ -f "$MEET/right" ] && exit 0; sleep 0.05; done; exit 1
    env: {MEET: "${tmp.dir}"}
  right:
    run: touch "$MEET/right"; for i in $(seq 100); do [ -f "$MEET/left" ] && exit 0; sleep 0.05; done; exit 1
    env: {MEET: "${tmp.dir}"}
`;
    const { report } = await start(yaml, { parallel: 2 });
    expect(report.status).toBe("succeeded");
  });

  it("never runs more than --parallel steps at once", async () => {
    const steps = Array.from({ length: 6 }, (_, i) => `  s${i}:\n    run: "true"\n`).join("");
    let running = 0;
    let most = 0;
    const { report } = await start(`steps:\n${steps}`, {
      parallel: 2,
      onEvent: (e) => {
        if (e.type === "task-started") most = Math.max(most, ++running);
        if (e.type === "task-finished") running--;
      },
    });
    expect(report.status).toBe("succeeded");
    expect(most).toBe(2);
  });

  it("cancels: kills running steps, skips what follows, still runs always() clean-up", async () => {
    const abort = new AbortController();
    const { report, lines } = await start(
      `
steps:
  long:
    run: echo started; sleep 30
  after:
    needs: long
    run: echo should not run
  cleanup:
    needs: long
    if: \${{ always() }}
    run: echo "cleaning up after \${{ steps.long.result }}"
`,
      {
        signal: abort.signal,
        onEvent: (e) => {
          if (e.type === "line" && e.line === "started") abort.abort();
        },
      },
    );
    expect(report.status).toBe("cancelled");
    expect(report.steps.long?.status).toBe("cancelled");
    expect(report.steps.after?.status).toBe("cancelled");
    expect(report.steps.cleanup?.status).toBe("succeeded");
    expect(lines("cleanup")).toEqual(["cleaning up after cancelled"]);
  });

  it("retries a failing step and reports each attempt", async () => {
    const { report, events } = await start(`
steps:
  flaky:
    run: '[ "$GANTRY_ATTEMPT" -ge 3 ] || exit 1'
    retry: {attempts: 3, delay: 10ms}
`);
    expect(report.steps.flaky?.status).toBe("succeeded");
    expect(report.steps.flaky?.attempts).toBe(3);
    const finished = events
      .filter((e) => e.type === "task-finished")
      .map((e) => (e.type === "task-finished" ? [e.status, e.retryInMs] : []));
    expect(finished).toEqual([
      ["failed", 10],
      ["failed", 10],
      ["succeeded", undefined],
    ]);
  });

  it("times out a step and gives the run the timed_out status", async () => {
    const { report } = await start(`
steps:
  slow:
    run: sleep 30
    timeout: 200ms
`);
    expect(report.steps.slow?.status).toBe("timed_out");
    expect(report.status).toBe("timed_out");
  });

  it("masks secret inputs and values registered with ::add-mask::", async () => {
    const { lines, report } = await start(
      `
inputs:
  token: {type: secret, required: true}
steps:
  show:
    run: |
      echo "token is \${{ inputs.token }}"
      echo "::add-mask::generated-value-42"
      echo "made generated-value-42"
      echo "base64 $(printf '%s' '\${{ inputs.token }}' | base64)"
`,
      { inputs: { token: "hunter2-secret" } },
    );
    expect(report.status).toBe("succeeded");
    expect(lines("show")).toEqual(["token is ***", "made ***", "base64 ***"]);
  });

  it("fails a step whose action inputs are wrong, without retrying it", async () => {
    tmp.write(
      "act/action.yaml",
      "inputs:\n  n: {type: integer, required: true}\nruns: {using: bash, run: echo $INPUT_N}\n",
    );
    tmp.write(".git/HEAD", "ref: refs/heads/main\n");
    const { report } = await start(`
steps:
  use:
    uses: ./act
    with: {n: "not a number"}
    retry: {attempts: 3}
`);
    expect(report.steps.use?.status).toBe("failed");
    expect(report.steps.use?.attempts).toBe(1);
    expect(report.steps.use?.error).toMatch(/steps\.use\.with: input 'n': must be an integer/);
  });
});
