// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests are full of workflow expressions
// biome-ignore lint/style/noRestrictedImports: tests may read the example files; core's source may not.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatProblem } from "../format/types.js";
import { validateActionText } from "./action.js";

const yaml = (...lines: string[]) => `${lines.join("\n")}\n`;
const problems = (text: string) => validateActionText("action.yaml", text).problems.map(formatProblem);

describe("validateActionText: examples", () => {
  const root = new URL("../../../../examples/actions/", import.meta.url);
  const dirs = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory());

  it("finds the example actions", () => {
    expect(dirs.length).toBeGreaterThanOrEqual(1);
  });

  it.each(dirs.map((d) => d.name))("%s/action.yaml has no problem", (dir) => {
    const text = readFileSync(new URL(`${dir}/action.yaml`, root), "utf8");
    const result = validateActionText(`${dir}/action.yaml`, text);
    expect(result.problems.map(formatProblem)).toEqual([]);
    expect(result.action?.runs.using).toBeDefined();
  });
});

describe("validateActionText", () => {
  it("returns the action when there is no problem", () => {
    const result = validateActionText(
      "action.yaml",
      yaml(
        "name: tool",
        "inputs: {n: {type: integer, default: 1}}",
        "outputs: {out: {description: the result}, bare: null}",
        "runs: {using: exec, command: [./bin/tool, '--n=${{ inputs.n }}', '${{ run.id }}']}",
      ),
    );
    expect(result.problems).toEqual([]);
    expect(result.action?.runs.command).toEqual(["./bin/tool", "--n=${{ inputs.n }}", "${{ run.id }}"]);
  });

  it("reports a missing runs and an unknown key with a did-you-mean", () => {
    expect(problems(yaml("name: x", "input: {}"))).toEqual([
      "action.yaml:1:1: (top level): missing required key 'runs'",
      "action.yaml:2:1: (top level): unknown key 'input' (did you mean 'inputs'?)",
    ]);
  });

  it("lists the allowed languages", () => {
    expect(problems(yaml("runs: {using: ruby, run: x}"))).toEqual([
      `action.yaml:1:15: runs.using: 'ruby' is not allowed; allowed values: "bash", "sh", "python", "node", "exec", "container", "composite"`,
    ]);
  });

  it("reports exec without command, and exec with a script", () => {
    expect(problems(yaml("runs:", "  using: exec"))).toEqual([
      "action.yaml:1:1: runs: 'exec' needs 'command' (the program and its arguments)",
    ]);
    expect(problems(yaml("runs: {using: exec, command: x, script: y.sh}"))).toEqual([
      "action.yaml:1:1: runs: 'exec' takes 'command', not 'script' or 'run'",
    ]);
  });

  it("requires exactly one of script and run for a script language, and no command", () => {
    const both =
      "action.yaml:1:1: runs: 'bash' needs exactly one of 'script' (a file in the action's folder) or 'run' (inline)";
    expect(problems(yaml("runs: {using: bash, script: a.sh, run: echo}"))).toEqual([both]);
    expect(problems(yaml("runs: {using: bash}"))).toEqual([both]);
    expect(problems(yaml("runs: {using: sh, run: x, command: y}"))).toEqual([
      "action.yaml:1:1: runs: 'command' is only for using: exec",
    ]);
  });

  it("checks expressions in run and command against the action's own inputs", () => {
    const text = yaml(
      "inputs: {name: {type: string}}",
      "runs:",
      "  using: bash",
      "  run: echo ${{ inputs.nmae }} ${{ steps.a.outputs.x }}",
    );
    expect(problems(text)).toEqual([
      "action.yaml:4:17: runs.run: unknown input 'nmae' (did you mean 'name'?)",
      "action.yaml:4:36: runs.run: the 'steps' context is not available here (available: inputs, env, run)",
    ]);
    expect(problems(yaml("runs: {using: exec, command: ['${{ inputs.x ==  }}']}"))[0]).toMatch(
      /^action\.yaml:1:\d+: runs\.command\.0: invalid expression: /,
    );
  });

  it("checks input specs as a workflow does", () => {
    expect(
      problems(
        yaml(
          "inputs:",
          "  level: {type: choice}",
          "  key: {type: secret, default: abc}",
          "runs: {using: sh, run: x}",
        ),
      ),
    ).toEqual([
      "action.yaml:2:10: inputs.level: a choice needs its values under 'enum' or 'options_from'",
      "action.yaml:3:23: inputs.key: a secret input cannot have a default (it would sit in git in clear text)",
    ]);
  });

  it("reports an output name that cannot be used in expressions", () => {
    expect(problems(yaml("outputs: {'bad name': {}}", "runs: {using: sh, run: x}"))).toEqual([
      "action.yaml:1:11: outputs: 'bad name' is not a valid name: use letters, digits, '_' and '-', starting with a letter or '_'",
    ]);
  });

  it("reports a file that is not a map", () => {
    expect(problems("just text\n")).toEqual([
      "action.yaml:1:1: an action must be a YAML map with a 'runs' key",
    ]);
  });
});
