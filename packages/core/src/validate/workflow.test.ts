// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests are full of workflow expressions
// biome-ignore lint/style/noRestrictedImports: tests may read the example files; core's source may not.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatProblem } from "../format/types.js";
import { validateWorkflowText } from "./workflow.js";

const yaml = (...lines: string[]) => `${lines.join("\n")}\n`;

/** Every problem as `file:line:col: message`, the way `gantry validate` prints it. */
const problems = (text: string) => validateWorkflowText("wf.yaml", text).problems.map(formatProblem);

describe("validateWorkflowText: a valid workflow", () => {
  it("returns the workflow, its uses references and no problem", () => {
    const result = validateWorkflowText(
      "wf.yaml",
      yaml(
        "name: ok",
        "inputs:",
        "  env: {type: choice, enum: [staging, production], default: staging}",
        "secrets:",
        "  token: ref+env://TOKEN",
        "steps:",
        "  build:",
        "    uses: ./actions/build",
        "    with: {target: '${{ inputs.env }}', token: '${{ secrets.token }}'}",
        "  deploy:",
        "    needs: [build]",
        "    uses: infra/helm-deploy@v1.2",
        "    with: {image: '${{ steps.build.outputs.image }}'}",
        "  notify:",
        "    needs: deploy",
        "    if: always()",
        '    for_each: ${{ fromJSON(\'["ops","dev"]\') }}',
        "    run: echo ${{ item }} ${{ steps.build.result }}",
        "outputs:",
        "  image: ${{ steps.build.outputs.image }}",
      ),
    );
    expect(result.problems).toEqual([]);
    expect(result.workflow?.name).toBe("ok");
    expect(result.uses.map((u) => [u.step, u.uses, u.problemAt.line, u.problemAt.col])).toEqual([
      ["build", "./actions/build", 8, 11],
      ["deploy", "infra/helm-deploy@v1.2", 12, 11],
    ]);
  });
});

describe("validateWorkflowText: examples", () => {
  const root = new URL("../../../../examples/", import.meta.url);
  // gantry.yaml there is the folder's settings, not a workflow (the loader skips it too).
  const files = readdirSync(root).filter((f) => f.endsWith(".yaml") && f !== "gantry.yaml");

  it("finds the examples", () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });

  it.each(files)("%s has no problem", (file) => {
    const text = readFileSync(new URL(file, root), "utf8");
    const result = validateWorkflowText(file, text);
    expect(result.problems.map(formatProblem)).toEqual([]);
    expect(result.workflow).toBeDefined();
  });
});

describe("validateWorkflowText: keys and types", () => {
  it("reports an unknown key where it is, with a did-you-mean", () => {
    expect(problems(yaml("steps:", "  a: {run: x}", "  b:", "    nedds: a", "    run: y"))).toEqual([
      "wf.yaml:4:5: steps.b: unknown key 'nedds' (did you mean 'needs'?)",
    ]);
  });

  it("lists the allowed keys when nothing is close", () => {
    const [problem] = problems(yaml("steps:", "  a: {run: x}", "zzzzzz: 1"));
    expect(problem).toMatch(
      /^wf\.yaml:3:1: \(top level\): unknown key 'zzzzzz' \(allowed: name, description, /,
    );
  });

  it("reports a missing steps key and an empty steps map", () => {
    expect(problems(yaml("name: x"))).toEqual(["wf.yaml:1:1: (top level): missing required key 'steps'"]);
    expect(problems(yaml("steps: {}"))).toEqual(["wf.yaml:1:8: steps: must not be empty"]);
  });

  it("reports wrong types at the value", () => {
    expect(problems(yaml("steps:", "  a:", "    run: x", "    timeout: true"))).toEqual([
      "wf.yaml:4:14: steps.a.timeout: boolean true is not valid: expected a number of seconds, or a duration like 500ms, 30s, 10m, 1h30m, 1d",
    ]);
    expect(problems(yaml("steps:", "  a:", "    run: x", "    timeout: 10 minutes"))[0]).toMatch(
      /^wf\.yaml:4:14: steps\.a\.timeout: '10 minutes' is not valid/,
    );
    expect(problems(yaml("steps:", "  a:", "    run: [x]"))).toEqual([
      "wf.yaml:3:10: steps.a.run: must be a string, got a list",
    ]);
  });

  it("reports retry.attempts below 1", () => {
    expect(problems(yaml("steps:", "  a:", "    run: x", "    retry: {attempts: 0}"))).toEqual([
      "wf.yaml:4:23: steps.a.retry.attempts: must be >= 1",
    ]);
  });

  it("lists the allowed values of an enum", () => {
    expect(problems(yaml("steps:", "  a:", "    run: x", "    shell: fish"))).toEqual([
      `wf.yaml:4:12: steps.a.shell: 'fish' is not allowed; allowed values: "bash", "sh", "python", "node"`,
    ]);
  });

  it("rejects a step id that cannot be used in expressions", () => {
    expect(problems(yaml("steps:", "  1st: {run: x}"))).toEqual([
      "wf.yaml:2:3: steps: '1st' is not a valid name: use letters, digits, '_' and '-', starting with a letter or '_'",
    ]);
  });

  it("reports a duplicate key", () => {
    expect(problems(yaml("steps:", "  a: {run: x}", "  a: {run: y}"))).toEqual([
      "wf.yaml:3:3: duplicate key 'a': a key may appear only once in a map",
    ]);
  });

  it("reports YAML syntax errors with their position", () => {
    const [problem] = problems(yaml("steps:", "  a: {run: x", "  b: 1"));
    expect(problem).toMatch(/^wf\.yaml:\d+:\d+: YAML: /);
  });

  it("refuses a YAML alias bomb", () => {
    const bomb = yaml(
      "x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
      "x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "x-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "x-e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]",
      "x-f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]",
      "x-g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]",
      "steps: {a: {run: x}}",
    );
    expect(problems(bomb)).toEqual([
      "wf.yaml:1:1: too many alias expansions (limit 100): refusing a possible alias bomb",
    ]);
  });

  it("accepts a few ordinary aliases", () => {
    const text = yaml(
      "env: &common {A: '1'}",
      "steps:",
      "  a: {run: x, env: *common}",
      "  b: {run: y, env: *common}",
    );
    expect(problems(text)).toEqual([]);
  });

  it("reports a file that is not a map", () => {
    expect(problems("- a\n- b\n")).toEqual(["wf.yaml:1:1: a workflow must be a YAML map with a 'steps' key"]);
  });
});

describe("validateWorkflowText: steps", () => {
  it("reports a step with both run and uses, or neither", () => {
    expect(
      problems(yaml("steps:", "  both:", "    run: x", "    uses: ./a", "  none:", "    name: nothing")),
    ).toEqual([
      "wf.yaml:2:3: steps.both: a step has either 'run' (a script) or 'uses' (an action), not both",
      "wf.yaml:5:3: steps.none: a step needs 'run' (a script) or 'uses' (an action)",
    ]);
  });

  it("reports a uses that is neither ./path nor library/path@ref", () => {
    expect(problems(yaml("steps:", "  a:", "    uses: infra/helm-deploy"))).toEqual([
      "wf.yaml:3:11: steps.a.uses: 'infra/helm-deploy' is neither a local action (./path), library/path@ref nor workflow:<name>",
    ]);
    expect(problems(yaml("steps:", "  a: {uses: ../shared/a}", "  b: {uses: lib/x/y@main}"))).toEqual([]);
  });

  it("reports shell on a uses step", () => {
    expect(problems(yaml("steps:", "  a:", "    uses: ./a", "    shell: sh"))).toEqual([
      "wf.yaml:4:5: steps.a.shell: 'shell' applies to 'run' steps; an action declares its language in runs.using",
    ]);
  });
});

describe("validateWorkflowText: needs and cycles", () => {
  it("reports a needs naming an unknown step, at the name, with a did-you-mean", () => {
    expect(
      problems(yaml("steps:", "  build: {run: x}", "  test:", "    needs: [biuld]", "    run: y")),
    ).toEqual(["wf.yaml:4:13: steps.test.needs: unknown step 'biuld' (did you mean 'build'?)"]);
    expect(problems(yaml("steps:", "  test:", "    needs: nothing", "    run: y"))).toEqual([
      "wf.yaml:3:12: steps.test.needs: unknown step 'nothing' (no other step is defined)",
    ]);
  });

  it("never suggests the step itself, and lists the others when none is close", () => {
    expect(problems(yaml("steps:", "  zb:", "    needs: [zz]", "    run: y", "  build: {run: x}"))).toEqual([
      "wf.yaml:3:13: steps.zb.needs: unknown step 'zz' (the steps are: build)",
    ]);
    expect(problems(yaml("steps:", "  zb:", "    needs: [zz]", "    run: y", "  za: {run: x}"))).toEqual([
      "wf.yaml:3:13: steps.zb.needs: unknown step 'zz' (did you mean 'za'?)",
    ]);
  });

  it("reports a step that needs itself", () => {
    expect(problems(yaml("steps:", "  a:", "    needs: a", "    run: x"))).toEqual([
      "wf.yaml:3:12: steps.a.needs: a step cannot need itself",
    ]);
  });

  it("names the cycle", () => {
    expect(
      problems(yaml("steps:", "  a:", "    needs: b", "    run: x", "  b:", "    needs: [a]", "    run: y")),
    ).toEqual(["wf.yaml:3:12: steps.a.needs: dependency cycle: a -> b -> a (each needs the next)"]);
  });

  it("names a longer cycle and only its members", () => {
    const [problem, ...rest] = problems(
      yaml(
        "steps:",
        "  start: {run: x}",
        "  a: {needs: [start, c], run: x}",
        "  b: {needs: a, run: x}",
        "  c: {needs: b, run: x}",
      ),
    );
    expect(rest).toEqual([]);
    const cycle = /dependency cycle: (.*) \(each needs the next\)$/.exec(problem ?? "")?.[1]?.split(" -> ");
    expect(cycle).toHaveLength(4);
    expect(cycle?.[0]).toBe(cycle?.[3]);
    expect([...new Set(cycle)].sort()).toEqual(["a", "b", "c"]);
  });
});

describe("validateWorkflowText: expressions", () => {
  it("reports an expression that does not parse, at the problem", () => {
    expect(problems(yaml("steps:", "  a:", "    run: echo ${{ inputs.x === 1 }}"))).toEqual([
      "wf.yaml:3:30: steps.a.run: invalid expression: Unexpected symbol: '='",
    ]);
    // A lexer error (a stray '&') points at the symbol too, not at the start of the expression.
    expect(problems(yaml("steps:", "  a:", "    run: echo ${{ inputs.x &&& 1 }}"))[0]).toMatch(
      /^wf\.yaml:3:30: steps\.a\.run: invalid expression: Unexpected symbol: '&'/,
    );
    expect(problems(yaml("steps:", "  a:", "    if: inputs.x ==", "    run: x"))[0]).toMatch(
      /^wf\.yaml:3:18: steps\.a\.if: invalid expression: Unexpected end of expression/,
    );
  });

  it("reports an unterminated ${{", () => {
    expect(problems(yaml("steps:", "  a:", "    run: echo ${{ inputs.x"))).toEqual([
      "wf.yaml:3:15: steps.a.run: '${{' is never closed with '}}'",
    ]);
  });

  it("reports an expression naming an unknown step, with a did-you-mean", () => {
    expect(
      problems(
        yaml(
          "steps:",
          "  build: {run: x}",
          "  b:",
          "    needs: build",
          "    run: ${{ steps.biuld.outputs.x }}",
        ),
      ),
    ).toEqual(["wf.yaml:5:14: steps.b.run: unknown step 'biuld' (did you mean 'build'?)"]);
  });

  it("reports a step reading steps.X it does not need, even through others", () => {
    const text = yaml(
      "steps:",
      "  a: {run: x}",
      "  b: {needs: a, run: x}",
      "  c:",
      "    needs: b",
      "    run: ${{ steps.a.outputs.v }} ${{ steps.b.outputs.v }}",
      "  d:",
      "    run: ${{ steps.a.outputs.v }}",
    );
    // c needs a through b: fine. d does not need a at all.
    expect(problems(text)).toEqual([
      "wf.yaml:8:14: steps.d.run: step 'a' has not finished when this runs: add it to needs",
    ]);
  });

  it("reports an unknown input, with a did-you-mean or the declared inputs", () => {
    const text = yaml(
      "inputs: {target: {type: string}}",
      "steps:",
      "  a: {run: '${{ inputs.trget }}'}",
      "  b: {run: '${{ inputs.zzz }}'}",
    );
    expect(problems(text)).toEqual([
      "wf.yaml:3:17: steps.a.run: unknown input 'trget' (did you mean 'target'?)",
      "wf.yaml:4:17: steps.b.run: unknown input 'zzz' (declared: target)",
    ]);
    expect(problems(yaml("steps:", "  a: {run: '${{ inputs.x }}'}"))).toEqual([
      "wf.yaml:2:17: steps.a.run: unknown input 'x' (no inputs are declared)",
    ]);
  });

  it("reports item outside for_each, and item inside for_each itself", () => {
    const text = yaml(
      "steps:",
      "  a: {run: '${{ item }}'}",
      "  b: {for_each: '${{ item }}', run: '${{ item }}'}",
    );
    expect(problems(text)).toEqual([
      "wf.yaml:2:17: steps.a.run: 'item' exists only in a step with for_each",
      "wf.yaml:3:22: steps.b.for_each: 'item' exists only in a step with for_each",
    ]);
  });

  it("reports an unknown secret and contexts not available at the top level", () => {
    const text = yaml(
      "secrets: {token: ref+env://T}",
      "env:",
      "  A: ${{ secrets.tokn }}",
      "  B: ${{ steps.a.outputs.x }}",
      "steps:",
      "  a: {run: x}",
    );
    expect(problems(text)).toEqual([
      "wf.yaml:3:10: env.A: unknown secret 'tokn' (did you mean 'token'?) (declare it under secrets:)",
      "wf.yaml:4:10: env.B: the 'steps' context is not available here (available: inputs, env, secrets, vars, run, trigger, github)",
    ]);
  });

  it("checks every place a step holds expressions, and the workflow outputs", () => {
    const text = yaml(
      "steps:",
      "  a:",
      "    name: ${{ steps.x.result }}",
      "    if: steps.x.result",
      "    continue_on_error: ${{ steps.x.result }}",
      "    with: {k: '${{ steps.x.result }}'}",
      "    env: {K: '${{ steps.x.result }}'}",
      "    working_directory: ${{ steps.x.result }}",
      "    run: x",
      "outputs:",
      "  o: ${{ steps.x.outputs.o }}",
    );
    const found = problems(text);
    expect(found.map((p) => p.split(": ")[1])).toEqual([
      "steps.a.name",
      "steps.a.if",
      "steps.a.continue_on_error",
      "steps.a.with.k",
      "steps.a.env.K",
      "steps.a.working_directory",
      "outputs.o",
    ]);
    for (const p of found) expect(p).toContain("unknown step 'x'");
  });

  it("accepts an if that uses status functions and reads any ancestor", () => {
    const text = yaml(
      "steps:",
      "  a: {run: x}",
      "  b: {needs: a, run: x}",
      "  c:",
      "    needs: b",
      "    if: failure() && steps.a.result == 'failure'",
      "    run: x",
    );
    expect(problems(text)).toEqual([]);
  });
});

describe("validateWorkflowText: input specs", () => {
  it("reports a choice without enum, a default not matching its type or bounds, and a secret default", () => {
    const text = yaml(
      "inputs:",
      "  env: {type: choice}",
      "  n: {type: integer, default: many}",
      "  replicas: {type: integer, minimum: 1, default: 0}",
      "  token: {type: secret, default: hunter2}",
      "  level: {type: string, enum: [low, high], default: medium}",
      "  name: {type: string, minimum: 1}",
      "  code: {type: string, pattern: '(unclosed'}",
      "steps:",
      "  a: {run: x}",
    );
    expect(problems(text)).toEqual([
      "wf.yaml:2:8: inputs.env: a choice needs its values under 'enum' or 'options_from'",
      `wf.yaml:3:22: inputs.n.default: must be an integer, got "many"`,
      "wf.yaml:4:41: inputs.replicas.default: 0 is less than the minimum 1",
      "wf.yaml:5:25: inputs.token: a secret input cannot have a default (it would sit in git in clear text)",
      `wf.yaml:6:44: inputs.level.default: "medium" is not one of the allowed values: "low", "high"`,
      "wf.yaml:7:24: inputs.name: minimum and maximum apply only to number and integer inputs",
      expect.stringMatching(/^wf\.yaml:8:24: inputs\.code\.pattern: Invalid regular expression/),
    ]);
    expect(problems(text).join("\n")).not.toContain("hunter2");
  });

  it("reports an unknown input type with the allowed ones", () => {
    expect(problems(yaml("inputs: {n: {type: int}}", "steps: {a: {run: x}}"))[0]).toBe(
      `wf.yaml:1:20: inputs.n.type: 'int' is not allowed; allowed values: "string", "number", "integer", "boolean", "array", "object", "secret", "choice", "nodes"`,
    );
  });
});

describe("validateWorkflowText: if", () => {
  it("refuses an if that mixes ${{ }} with text, which would always be true", () => {
    expect(
      problems(yaml("steps:", "  a:", "    if: ${{ inputs.x }} == 'b'", "    run: x")).join("\n"),
    ).toContain("steps.a.if: write the whole condition inside one ${{ }}");
  });
});
