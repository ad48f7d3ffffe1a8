// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests are full of workflow expressions
import { createHash } from "node:crypto";
import { type RunInfo, validateActionText } from "@gantry/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadWorkflow } from "../loader/load-workflow.js";
import type { RunEvent } from "../run/events.js";
import { runWorkflow } from "../run/run-workflow.js";
import { LocalRunner } from "../runners/local/local-runner.js";
import { tempDir } from "../testing/temp-dir.js";

describe("jobs of steps on the local runner", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  async function run(yaml: string, signal?: AbortSignal, onEvent?: (e: RunEvent) => void) {
    tmp.write(".git/HEAD", "ref: refs/heads/main\n");
    const file = tmp.write("wf.yaml", yaml);
    const { loaded, problems } = await loadWorkflow(file);
    expect(problems).toEqual([]);
    if (!loaded) throw new Error("not loaded");
    const info: RunInfo = {
      id: "run-1",
      workflow: "wf",
      attempt: 1,
      trigger: { type: "manual" },
      inputs: {},
    };
    const events: RunEvent[] = [];
    const runner = new LocalRunner({ tmpRoot: tmp.dir, killGraceMs: 500 });
    const result = await runWorkflow(loaded, {
      runner,
      info,
      parallel: 4,
      ...(signal ? { signal } : {}),
      onEvent: (e) => {
        events.push(e);
        onEvent?.(e);
      },
    });
    const lines = (step: string) =>
      events.flatMap((e) => (e.type === "line" && e.step === step ? [e.line] : []));
    return { ...result, lines };
  }

  it("runs the steps in one workspace, with if, continue_on_error, outputs and sections", async () => {
    const { report, lines } = await run(`
steps:
  prep:
    run: echo "v=7" >> $GANTRY_OUTPUT
  build:
    needs: prep
    env: {JOB: job}
    steps:
      - id: write
        name: Write a file
        run: |
          echo made > made.txt
          echo "n=\${{ steps.prep.outputs.v }}" >> $GANTRY_OUTPUT
      - id: read
        env: {INNER: inner}
        run: |
          echo "$(cat made.txt) $JOB $INNER"
          echo "m=$(cat made.txt)-\${{ steps.write.outputs.n }}" >> $GANTRY_OUTPUT
      - id: soft
        run: exit 3
        continue_on_error: true
      - run: echo "##[step] 9 forged"
      - run: echo never
        if: \${{ failure() }}
      - run: exit 1
      - run: echo skipped
      - name: Clean up
        if: \${{ always() }}
        run: echo "cleanup after \${{ steps.soft.outcome }}/\${{ steps.soft.result }}"
    outputs:
      m: \${{ steps.read.outputs.m }}
  after:
    needs: build
    if: always()
    run: echo "\${{ steps.build.outputs.m }} \${{ steps.build.result }}"
`);
    expect(report.steps.build?.status).toBe("failed");
    expect(report.steps.build?.error).toBe("step 'Run exit 1' failed: exited with code 1");
    expect(report.steps.build?.outputs).toEqual({ m: "made-7" });
    expect(report.steps.build?.steps?.map((s) => [s.id, s.status, s.result])).toEqual([
      ["write", "succeeded", "success"],
      ["read", "succeeded", "success"],
      ["soft", "failed", "success"],
      [null, "succeeded", "success"],
      [null, "skipped", "skipped"],
      [null, "failed", "failure"],
      [null, "skipped", "skipped"],
      [null, "succeeded", "success"],
    ]);
    expect(report.steps.build?.steps?.[0]?.duration_ms).toBeGreaterThanOrEqual(0);
    expect(lines("build").filter((l) => !l.startsWith("gantry:"))).toEqual([
      "##[step] 0 Write a file",
      '##[step] 1 Run echo "$(cat made.txt) $JOB $INNER"',
      "made job inner",
      "##[step] 2 Run exit 3",
      '##[step] 3 Run echo "##[step] 9 forged"',
      " ##[step] 9 forged",
      "##[step] 5 Run exit 1",
      "##[step] 7 Clean up",
      "cleanup after failure/success",
    ]);
    expect(lines("after")).toEqual(["made-7 failure"]);
  });

  it("runs a composite action's steps in the job's workspace with the action's inputs", async () => {
    const action =
      'inputs:\n  who: {type: string, required: true}\noutputs:\n  said: {value: \'${{ steps.say.outputs.said }}\'}\nruns:\n  using: composite\n  steps:\n    - id: say\n      run: |\n        echo "hello ${{ inputs.who }} $(cat made.txt)"\n        echo "said=${{ inputs.who }}" >> $GANTRY_OUTPUT\n';
    expect(validateActionText("action.yaml", action).problems).toEqual([]);
    tmp.write("greet/action.yaml", action);
    const { report, lines } = await run(`
steps:
  job:
    steps:
      - run: echo there > made.txt
      - id: greet
        uses: ./greet
        with: {who: world}
      - run: echo "\${{ steps.greet.outputs.said }}"
`);
    expect(report.steps.job?.status).toBe("succeeded");
    expect(lines("job")).toEqual([
      "##[step] 0 Run echo there > made.txt",
      "##[step] 1 Use ./greet",
      "hello world there",
      '##[step] 2 Run echo "${{ steps.greet.outputs.said }}"',
      "world",
    ]);
  });

  it("evaluates hashFiles() over the job's workspace as it is before each step", async () => {
    const { report } = await run(`
steps:
  job:
    steps:
      - id: before
        if: \${{ hashFiles('deps/lock.json') == '' }}
        run: echo "h=\${{ hashFiles('deps/lock.json') }}" >> $GANTRY_OUTPUT
      - run: mkdir deps && printf 'v1' > deps/lock.json
      - id: after
        env: {KEY: "deps-\${{ hashFiles('**/lock.json', '!nothing') }}"}
        run: echo "key=$KEY" >> $GANTRY_OUTPUT
    outputs:
      before: \${{ steps.before.outputs.h }}
      key: \${{ steps.after.outputs.key }}
`);
    expect(report.steps.job?.status, report.steps.job?.error).toBe("succeeded");
    const inner = createHash("sha256").update("v1").digest();
    const hash = createHash("sha256").update(inner).digest("hex");
    expect(report.steps.job?.outputs).toEqual({ before: "", key: `deps-${hash}` });
  });

  it("answers a job's steps' status functions about the job's own steps, not the jobs it needs", async () => {
    const { report, lines } = await run(`
steps:
  broken:
    run: exit 1
  report:
    needs: broken
    if: \${{ failure() }}
    steps:
      - run: echo "reporting"
      - if: \${{ failure() }}
        run: echo "not after a failed step of this job"
`);
    expect(report.steps.report?.status).toBe("succeeded");
    expect(report.steps.report?.steps?.map((s) => s.status)).toEqual(["succeeded", "skipped"]);
    expect(lines("report")).toContain("reporting");
  });

  it("a cancel stops the running step and still runs always() steps", async () => {
    const abort = new AbortController();
    const { report, lines } = await run(
      `
steps:
  job:
    steps:
      - run: echo started; sleep 30
      - run: echo not this
      - if: \${{ cancelled() }}
        run: echo cleaning
`,
      abort.signal,
      (e) => {
        if (e.type === "line" && e.line === "started") abort.abort();
      },
    );
    expect(report.status).toBe("cancelled");
    expect(report.steps.job?.steps?.map((s) => s.status)).toEqual(["cancelled", "skipped", "succeeded"]);
    expect(lines("job")).toContain("cleaning");
  });

  it("the job's timeout stops it as timed out", async () => {
    const { report } = await run(`
steps:
  job:
    timeout: 300ms
    steps:
      - run: sleep 30
`);
    expect(report.steps.job?.status).toBe("timed_out");
    expect(report.steps.job?.steps?.[0]?.status).toBe("timed_out");
  });
});
