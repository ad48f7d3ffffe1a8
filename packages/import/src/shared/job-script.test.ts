// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions
// biome-ignore-all lint/style/noRestrictedImports: the tests run the scripts the builder writes, with bash.
// biome-ignore-all lint/style/noRestrictedGlobals: the tests pass the environment on to bash.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nodeRewriter, type WorkflowScope } from "../github-actions/references.js";
import { buildJobScript, type RunStep, type ScriptContext } from "./job-script.js";

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs a script as Gantry's local runner runs a bash step: `bash --noprofile --norc -eo pipefail FILE`. */
function run(
  script: string,
  env: Record<string, string> = {},
): { code: number | null; out: string; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gantry-job-script-"));
  folders.push(dir);
  const file = path.join(dir, ".script.sh");
  writeFileSync(file, script);
  const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", file], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, GANTRY_WORKSPACE: dir, ...env },
    encoding: "utf8",
  });
  return { code: result.status, out: result.stdout + result.stderr, dir };
}

const scope: WorkflowScope = {
  inputs: new Map([["title", "title"]]),
  jobs: new Map(),
  outputs: new Map(),
  secrets: new Map(),
  env: new Set(),
};
const context: ScriptContext = { rewrite: nodeRewriter(scope, { job: "build" }) };
const step = (index: number, run: string, extra: Partial<RunStep> = {}): RunStep => ({
  index,
  label: `step ${index}`,
  run,
  env: {},
  ...extra,
});

describe("a job's run steps as one script", () => {
  it("runs each step in its own subshell: a cd or a shell variable does not reach the next", () => {
    const built = buildJobScript(
      [step(0, "mkdir sub\ncd sub\nLOCAL=1"), step(1, 'echo "in $(basename "$PWD") local=${LOCAL:-unset}"')],
      context,
    );
    const result = run(built.script);
    expect(result.code).toBe(0);
    expect(result.out).toContain(`in ${path.basename(result.dir)} local=unset`);
  });

  it("stops at the first step that fails, with its exit code", () => {
    const built = buildJobScript([step(0, "echo one"), step(1, "exit 3"), step(2, "echo three")], context);
    const result = run(built.script);
    expect(result.code).toBe(3);
    expect(result.out).toContain("one");
    expect(result.out).not.toContain("three");
  });

  it("uses pipefail only where GitHub does: with shell: bash, not with the default shell", () => {
    const plain = run(buildJobScript([step(0, "false | true\necho survived")], context).script);
    expect(plain.code).toBe(0);
    expect(plain.out).toContain("survived");
    const bash = run(
      buildJobScript([step(0, "false | true\necho survived", { shell: "bash" })], context).script,
    );
    expect(bash.code).not.toBe(0);
    expect(bash.out).not.toContain("survived");
  });

  it("runs if: always() and failure() steps after a failure, skips the rest, and fails the job", () => {
    const built = buildJobScript(
      [
        step(0, "exit 4"),
        step(1, "echo skipped"),
        step(2, "echo always ran", { if: "${{ always() }}" }),
        step(3, "echo failure ran", { if: "failure()" }),
        step(4, "echo success ran", { if: "success()" }),
      ],
      context,
    );
    const result = run(built.script);
    expect(result.code).toBe(4);
    expect(result.out).toContain("always ran");
    expect(result.out).toContain("failure ran");
    expect(result.out).not.toContain("skipped");
    expect(result.out).not.toContain("success ran");
  });

  it("goes on after a step with continue-on-error, and the job succeeds", () => {
    const built = buildJobScript(
      [step(0, "exit 2", { continueOnError: true }), step(1, "echo next")],
      context,
    );
    const result = run(built.script);
    expect(result.code).toBe(0);
    expect(result.out).toContain("next");
    expect(result.out).toContain("::warning::step 0 failed (continue-on-error)");
  });

  it("carries $GITHUB_ENV (one-line and multi-line values) and $GITHUB_PATH over to later steps", () => {
    const built = buildJobScript(
      [
        step(
          0,
          'echo "GREETING=hello world" >> "$GITHUB_ENV"\nprintf "NOTES<<EOF\\nline 1\\nline 2\\nEOF\\n" >> "$GITHUB_ENV"\nmkdir bin && printf "#!/bin/sh\\necho tool ran\\n" > bin/tool && chmod +x bin/tool\necho "$PWD/bin" >> "$GITHUB_PATH"',
        ),
        step(1, 'echo "[$GREETING]"\necho "$NOTES"\ntool'),
      ],
      context,
    );
    const result = run(built.script);
    expect(result.code).toBe(0);
    expect(result.out).toContain("[hello world]");
    expect(result.out).toContain("line 1\nline 2");
    expect(result.out).toContain("tool ran");
  });

  it("reads ${{ }} from the environment: outside data is never spliced into the script", () => {
    const built = buildJobScript(
      [step(0, 'echo "title: ${{ github.event.pull_request.title }}"\necho ${{ inputs.title }}')],
      context,
    );
    expect(built.script).not.toContain("${{");
    expect(built.env).toEqual({
      GITHUB_EVENT_PULL_REQUEST_TITLE: "${{ github.event.pull_request.title }}",
      INPUTS_TITLE: "${{ inputs.title }}",
    });
    // Gantry would set these from the expressions; a hostile title stays text.
    const result = run(built.script, {
      GITHUB_EVENT_PULL_REQUEST_TITLE: "$(touch pwned)",
      INPUTS_TITLE: "a; touch pwned2",
    });
    expect(result.code).toBe(0);
    expect(result.out).toContain("title: $(touch pwned)");
    expect(result.out).toContain("a; touch pwned2");
    expect(run("ls").out).not.toContain("pwned");
  });

  it("quotes each place as bash needs: inside single quotes, inside double quotes, between words", () => {
    const built = buildJobScript(
      [step(0, "echo 'a ${{ inputs.title }} b' \"c ${{ inputs.title }}\" ${{ inputs.title }}")],
      context,
    );
    expect(built.script).toContain(`echo 'a '"\${INPUTS_TITLE}"' b' "c \${INPUTS_TITLE}" "\${INPUTS_TITLE}"`);
    expect(run(built.script, { INPUTS_TITLE: "x  y" }).out).toContain("a x  y b c x  y x  y");
  });

  it("exports a step's own env only in that step", () => {
    const built = buildJobScript(
      [step(0, 'echo "[$ONLY_HERE]"', { env: { ONLY_HERE: "yes" } }), step(1, 'echo "[${ONLY_HERE:-}]"')],
      context,
    );
    const result = run(built.script);
    expect(result.out).toContain("[yes]\n[]");
  });

  it("tests a step's if without status functions from a variable the node evaluates", () => {
    const built = buildJobScript([step(0, "echo pushed", { if: "github.event_name == 'push'" })], context);
    const [name, value] = Object.entries(built.env)[0] as [string, string];
    expect(value).toBe("${{ (github.event_name == 'push') && 'true' || 'false' }}");
    expect(run(built.script, { [name]: "true" }).out).toContain("pushed");
    expect(run(built.script, { [name]: "false" }).out).not.toContain("pushed");
  });

  it("leaves what a single script cannot do to jobs of steps: reading another step's outputs", () => {
    const built = buildJobScript([step(0, "echo ok", { if: "steps.build.outputs.ready == 'yes'" })], context);
    expect(built.blockers).toEqual([expect.objectContaining({ feature: "step-steps-context", index: 0 })]);
  });

  it("for CircleCI: reads $BASH_ENV before each step and ends the job at circleci-agent step halt", () => {
    const circle: ScriptContext = { ...context, circleci: true, defaults: { variables: {}, paths: {} } };
    const built = buildJobScript(
      [
        step(0, "echo 'export FROM_BASH_ENV=set' >> \"$BASH_ENV\"", { shell: "bash" }),
        step(1, 'echo "[$FROM_BASH_ENV]"\ncircleci-agent step halt\necho "the step itself ends"', {
          shell: "bash",
        }),
        step(2, "echo never", { shell: "bash" }),
      ],
      circle,
    );
    const result = run(built.script);
    expect(result.code).toBe(0);
    expect(result.out).toContain("[set]");
    expect(result.out).toContain("the step itself ends");
    expect(result.out).not.toContain("never");
  });
});
