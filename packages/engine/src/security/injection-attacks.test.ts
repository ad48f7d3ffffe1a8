// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions
import { fixInjections, type RunInfo } from "@gantry/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadWorkflow } from "../loader/load-workflow.js";
import { runWorkflow } from "../run/run-workflow.js";
import { LocalRunner } from "../runners/local/local-runner.js";
import { tempDir } from "../testing/temp-dir.js";

/**
 * Attack: outside text spliced into a script runs as code. Each workflow below is what an author would
 * naively write; Gantry must refuse it at load, and the rewrite `gantry validate --fix` makes must print
 * the hostile text literally and run nothing of it.
 */
const HOSTILE = 'x"; echo INJECTED; id; echo "';

const attacks: Array<{ name: string; workflow: string; info: Partial<RunInfo> }> = [
  {
    name: "a string input",
    workflow:
      'inputs:\n  title: {type: string}\nsteps:\n  show:\n    run: echo "title is ${{ inputs.title }}"\n',
    info: { inputs: { title: HOSTILE } },
  },
  {
    name: "a generic webhook's payload",
    workflow:
      'on:\n  webhook: {name: hook, token: ref+env://HOOK_TOKEN}\nsteps:\n  show:\n    run: echo "title is ${{ trigger.payload.title }}"\n',
    info: { trigger: { type: "webhook", payload: { title: HOSTILE } } },
  },
  {
    name: "a GitHub pull request's title (the signature is valid: the sender chose the text)",
    workflow:
      'on:\n  pull_request: {}\nsteps:\n  show:\n    run: |\n      echo "title is ${{ github.event.pull_request.title }}"\n',
    info: {
      trigger: { type: "pull_request" },
      github: { event_name: "pull_request", event: { pull_request: { title: HOSTILE } } },
    },
  },
];

describe("script injection attacks", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it.each(attacks)("$name: refused at load, with file:line:col and the rewrite", async ({ workflow }) => {
    const file = tmp.write("wf.yaml", workflow);
    const { loaded, problems } = await loadWorkflow(file);
    expect(loaded).toBeUndefined();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file, line: expect.any(Number), col: expect.any(Number) });
    expect(problems[0]?.message).toMatch(/into the script's text, where it would run as code/);
    expect(problems[0]?.message).toContain("env:");
  });

  it.each(attacks)("$name: the rewritten workflow prints the text literally", async ({ workflow, info }) => {
    const fixed = fixInjections("wf.yaml", workflow);
    expect(fixed.fixed).toBe(1);
    const file = tmp.write("wf.yaml", fixed.text);
    const { loaded, problems } = await loadWorkflow(file);
    expect(problems).toEqual([]);
    if (!loaded) throw new Error("not loaded");
    const lines: string[] = [];
    const workspaces = tmp.dir;
    const result = await runWorkflow(loaded, {
      runner: new LocalRunner({ tmpRoot: workspaces, killGraceMs: 500 }),
      info: { id: "run-1", workflow: "wf", attempt: 1, trigger: { type: "manual" }, inputs: {}, ...info },
      parallel: 1,
      onEvent: (e) => {
        if (e.type === "line") lines.push(e.line);
      },
    });
    expect(result.report.status).toBe("succeeded");
    // Had the text run as code, `echo INJECTED` and `id` would each have printed a line of their own.
    expect(lines).toEqual([`title is ${HOSTILE}`]);
  });
});
