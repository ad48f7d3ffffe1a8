// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { gantry } from "../testing/gantry-process.js";
import { importFixtures } from "../testing/import-fixtures.js";

interface RunJson {
  status: string;
  steps: Record<string, { status: string; result: string }>;
}

const temp = tempDir("gantry-import-run-");
afterAll(() => temp.cleanup());
let folders = 0;

/** `gantry import KIND SOURCE --out DIR`, then `gantry run` of one converted workflow. */
async function importAndRun(kind: string, source: string, workflow: string, inputs: string[] = []) {
  const out = path.join(temp.dir, `out-${++folders}`);
  const imported = await gantry(["import", kind, source, "--out", out]);
  expect(imported.code).toBe(0);
  const run = await gantry(
    ["run", path.join(out, workflow), "--json", ...inputs.flatMap((i) => ["--input", i])],
    { cwd: out },
  );
  return { json: JSON.parse(run.stdout) as RunJson, log: run.stderr, code: run.code, out };
}

const statuses = (run: RunJson) =>
  Object.fromEntries(Object.entries(run.steps).map(([id, s]) => [id, s.status]));

describe("converted workflows run with the local runner", () => {
  it("runs Rundeck's own test job: commands and scripts with its options, until the job reference (a sub-workflow whose job was not imported)", async () => {
    const source = importFixtures("rundeck").find((f) => f.includes("9b43e4ab")) as string;
    const { json, log } = await importAndRun("rundeck", source, "test-job.yaml", [
      "opt1=from the form",
      "opt2=b",
    ]);
    expect(statuses(json)).toEqual({
      step_1: "succeeded",
      step_2: "succeeded",
      step_3: "succeeded",
      step_4: "failed",
      step_5: "skipped",
    });
    expect(json.status).toBe("failed");
    expect(log).toContain("step_1    | hello there");
    // $RD_OPTION_OPT1 and @option.opt1@ both give the value; ${option.opt2} in the arguments is $1.
    expect(log).toContain("step_2    | option opt1: from the form\nstep_2    | option opt1: from the form");
    expect(log).toContain("step_2    | option opt2: b");
    expect(log).toContain("step_3    | this is script 2, opt1 is from the form");
    // The job it references is not among the imported ones: gantry run looks for it beside the caller.
    expect(log).toMatch(
      /step_4 +\| ✗ failed: sub-workflow 'secondary-job': no workflow 'secondary-job' in \S+out-1/,
    );
  }, 60_000);

  it("keeps Rundeck's error handlers and keepgoing: recovered, failed after handling, and going on", async () => {
    const jobs = temp.write(
      "handlers.yaml",
      `- name: recovers
  sequence:
    commands:
      - exec: exit 3
        errorhandler: {exec: echo handled, keepgoingOnSuccess: true}
      - exec: echo after
- name: still fails
  sequence:
    commands:
      - exec: exit 3
        errorhandler: {exec: echo handled}
      - exec: echo after
- name: goes on
  sequence:
    keepgoing: true
    commands:
      - exec: exit 3
      - exec: echo after
`,
    );
    const recovers = await importAndRun("rundeck", jobs, "recovers.yaml");
    expect(statuses(recovers.json)).toEqual({
      step_1: "failed",
      step_1_on_error: "succeeded",
      step_2: "succeeded",
    });
    // keepgoingOnSuccess: the handler took care of it, so the job succeeds, as in Rundeck.
    expect(recovers.json.status).toBe("succeeded");
    const fails = await importAndRun("rundeck", jobs, "still-fails.yaml");
    expect(statuses(fails.json)).toEqual({
      step_1: "failed",
      step_1_on_error: "succeeded",
      step_2: "skipped",
    });
    expect(fails.json.status).toBe("failed");
    const goesOn = await importAndRun("rundeck", jobs, "goes-on.yaml");
    expect(statuses(goesOn.json)).toEqual({ step_1: "failed", step_2: "succeeded" });
    expect(goesOn.json.status).toBe("failed");
  });

  it("keeps GitHub's status functions between jobs (vite's CI: the 'failed' job runs when a needed job failed)", async () => {
    const source = importFixtures("github-actions").find((f) => f.includes("vitejs")) as string;
    const { json, log } = await importAndRun(
      "github-actions",
      source,
      "vitejs-vite-github-workflows-ci.yaml",
    );
    // changed and lint are not converted yet (they fail saying why); test needs changed, so it is skipped.
    expect(statuses(json)).toEqual({
      changed: "failed",
      test: "skipped",
      "test-passed": "skipped",
      "test-failed": "succeeded",
      lint: "failed",
    });
    expect(log).toMatch(/test-failed +\| Build & Test Failed/);
  });

  it("runs a GitHub job of run steps as GitHub would, and never runs text from an input", async () => {
    const workflow = temp.write(
      ".github/workflows/steps.yml",
      `on:
  workflow_dispatch:
    inputs:
      title: {type: string, required: true}
jobs:
  steps:
    runs-on: ubuntu-latest
    env:
      GREETING: hello
    steps:
      - run: echo "TOLD=$GREETING world" >> "$GITHUB_ENV"
      - name: Use the input
        run: echo "title is \${{ inputs.title }} and $TOLD"
      - run: exit 7
        continue-on-error: true
      - run: exit 5
      - if: failure()
        run: echo "cleaning up after a failure"
      - run: echo "not reached"
`,
    );
    const marker = path.join(temp.dir, "pwned");
    const { json, log } = await importAndRun("github-actions", workflow, "steps.yaml", [
      `title=$(touch ${marker})`,
    ]);
    expect(json.status).toBe("failed");
    expect(log).toContain(`title is $(touch ${marker}) and hello world`);
    expect(log).toContain("::warning::exit 7 failed (continue-on-error)");
    expect(log).toContain("cleaning up after a failure");
    expect(log).not.toContain("not reached");
    expect(existsSync(marker)).toBe(false);
  });
});
