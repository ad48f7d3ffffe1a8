// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions
import { describe, expect, it } from "vitest";
import { validateActionText } from "./action.js";
import { fixInjections } from "./fix-injections.js";
import { quoteStateAt } from "./injection.js";
import { validateWorkflowText } from "./workflow.js";

const messages = (text: string) =>
  validateWorkflowText("wf.yaml", text).problems.map((p) => `${p.line}:${p.col}: ${p.message}`);

describe("outside text in script text is refused", () => {
  it("a string input in run: names the place, the reason and the exact rewrite", () => {
    const [problem, ...rest] = messages(
      'inputs:\n  title: {type: string}\nsteps:\n  a:\n    run: echo "title is ${{ inputs.title }}"\n',
    );
    expect(rest).toEqual([]);
    expect(problem).toMatch(
      /^5:25: steps\.a\.run: \$\{\{ inputs\.title \}\} puts input 'title' \(type string/,
    );
    expect(problem).toContain('env: {TITLE: "${{ inputs.title }}"}');
    expect(problem).toContain("write ${TITLE} in the script");
    expect(problem).toContain("unsafe_interpolation: true");
  });

  it("points into block scalars at the exact line and column", () => {
    const out = messages("steps:\n  a:\n    run: |\n      echo hi\n      echo ${{ trigger.payload.x }}\n");
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^5:12: steps\.a\.run: .*trigger\.\*/);
  });

  it.each([
    ["trigger payloads", "echo ${{ trigger.payload.title }}", "", "{}"],
    ["github.event text", "echo ${{ github.event.pull_request.title }}", "", "{}"],
    ["github.head_ref", "git checkout ${{ github.head_ref }}", "", "{}"],
    ["the whole github context", "echo '${{ toJSON(github) }}'", "", "{}"],
    ["array inputs", "echo ${{ join(inputs.list, ' ') }}", "list: {type: array}", "{}"],
    ["object inputs", "echo '${{ toJSON(inputs.obj) }}'", "obj: {type: object}", "{}"],
    ["secret inputs", "echo ${{ inputs.pw }}", "pw: {type: secret}", "{}"],
    ["the inputs context whole", "echo '${{ toJSON(inputs) }}'", "s: {type: string}", "{}"],
    [
      "an env variable set from a string input",
      "echo ${{ env.T }}",
      "t: {type: string}",
      '{T: "${{ inputs.t }}"}',
    ],
  ])("%s", (_name, run, input, env) => {
    const text = `${input ? `inputs:\n  ${input}\n` : ""}steps:\n  a:\n    env: ${env}\n    run: ${JSON.stringify(run)}\n`;
    expect(messages(text).filter((m) => m.includes("into the script's text"))).toHaveLength(1);
  });

  it("the item of a for_each over a free-text input is outside text too", () => {
    const out = messages(
      "inputs:\n  regions: {type: array}\nsteps:\n  a:\n    for_each: ${{ inputs.regions }}\n    run: echo ${{ item }}\n",
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toContain("item, taken from input 'regions'");
  });

  it("numbers, booleans, choices, patterns, enums, env, run, steps, secrets and literal items stay allowed", () => {
    const text = `inputs:
  n: {type: integer}
  b: {type: boolean}
  c: {type: choice, enum: [a, b]}
  p: {type: string, pattern: "^[a-z]+$"}
  e: {type: string, enum: [x, y]}
secrets:
  token: ref+env://TOKEN
env: {GREETING: hello}
steps:
  a:
    for_each: [one, two]
    run: echo \${{ inputs.n }} \${{ inputs.b }} \${{ inputs.c }} \${{ inputs.p }} \${{ inputs.e }} \${{ env.GREETING }} \${{ run.id }} \${{ item }} \${{ secrets.token }} \${{ github.sha }}
  b:
    needs: a
    run: echo \${{ steps.a.result }}
`;
    expect(messages(text)).toEqual([]);
  });

  it("a step can opt out with unsafe_interpolation: true", () => {
    expect(
      messages(
        "inputs:\n  t: {type: string}\nsteps:\n  a:\n    unsafe_interpolation: true\n    run: echo ${{ inputs.t }}\n",
      ),
    ).toEqual([]);
  });

  it("an action's inline script reads the INPUT_ variable instead", () => {
    const r = validateActionText(
      "action.yaml",
      "inputs: {who: {type: string}, n: {type: integer}}\nruns: {using: bash, run: 'echo ${{ inputs.who }} ${{ inputs.n }}'}\n",
    );
    expect(r.problems.map((p) => p.message)).toEqual([
      expect.stringContaining('write "$INPUT_WHO" in the script'),
    ]);
  });

  it("python and node steps are told how their language reads the variable", () => {
    const [py] = messages(
      "inputs:\n  t: {type: string}\nsteps:\n  a:\n    shell: python\n    run: print('${{ inputs.t }}')\n",
    );
    expect(py).toContain('os.environ["T"]');
    const [js] = messages(
      "inputs:\n  t: {type: string}\nsteps:\n  a:\n    shell: node\n    run: console.log('${{ inputs.t }}')\n",
    );
    expect(js).toContain("process.env.T");
  });
});

describe("fixInjections", () => {
  it("moves the value to env: and reads it with the quoting open at that place", () => {
    const text = `inputs:
  who: {type: string}
  tags: {type: array}
steps:
  a:
    run: |
      echo "hello \${{ inputs.who }}"
      echo 'tags: \${{ join(inputs.tags, ',') }}'
      echo \${{ inputs.who }}
  b:
    env:
      KEEP: 1
    run: echo "\${{ inputs.who }}"
  c:
    env: { KEEP: 1 }
    run: echo "\${{ inputs.who }}"
`;
    const fixed = fixInjections("wf.yaml", text);
    expect(fixed.fixed).toBe(5);
    expect(fixed.skipped).toEqual([]);
    expect(fixed.text).toBe(`inputs:
  who: {type: string}
  tags: {type: array}
steps:
  a:
    env: { WHO: "\${{ inputs.who }}", TAGS: "\${{ join(inputs.tags, ',') }}" }
    run: |
      echo "hello \${WHO}"
      echo 'tags: '"$TAGS"''
      echo "$WHO"
  b:
    env:
      KEEP: 1
      WHO: "\${{ inputs.who }}"
    run: echo "\${WHO}"
  c:
    env: { KEEP: 1, WHO: "\${{ inputs.who }}" }
    run: echo "\${WHO}"
`);
    expect(validateWorkflowText("wf.yaml", fixed.text).problems).toEqual([]);
  });

  it("does not reuse a name the step's env already has", () => {
    const text =
      'inputs:\n  who: {type: string}\nsteps:\n  a:\n    env: {WHO: x}\n    run: echo "${{ inputs.who }} $WHO"\n';
    const fixed = fixInjections("wf.yaml", text);
    expect(fixed.text).toContain('env: {WHO: x, WHO_2: "${{ inputs.who }}"}');
    expect(fixed.text).toContain('run: echo "${WHO_2} $WHO"');
  });

  it("leaves python scripts to a person and says so", () => {
    const text =
      "inputs:\n  t: {type: string}\nsteps:\n  a:\n    shell: python\n    run: print('${{ inputs.t }}')\n";
    expect(fixInjections("wf.yaml", text)).toEqual({ text, fixed: 0, skipped: ["steps.a.run"] });
  });

  it("rewrites an action's inline script to its INPUT_ variable", () => {
    const text = "inputs: {who: {type: string}}\nruns:\n  using: sh\n  run: echo hi ${{ inputs.who }}\n";
    const fixed = fixInjections("action.yaml", text);
    expect(fixed.text).toBe(
      'inputs: {who: {type: string}}\nruns:\n  using: sh\n  run: echo hi "$INPUT_WHO"\n',
    );
  });
});

describe("quoteStateAt", () => {
  it.each([
    ['echo "a', "double"],
    ["echo 'a", "single"],
    ["echo 'a' b", "none"],
    ['echo "it\\"s', "double"],
    ["echo don\\'t ", "none"],
    ["# it's a comment\necho ", "none"],
  ])("%s -> %s", (script, state) => {
    expect(quoteStateAt(script, script.length)).toBe(state);
  });
});

describe("working_directory stays in the workspace", () => {
  it.each([
    ["../../../../etc", "climbs out"],
    ["/etc", "is absolute"],
    ["a/../../b", "climbs out"],
  ])("%s is refused at load", (dir, why) => {
    const out = messages(`steps:\n  a:\n    working_directory: ${dir}\n    run: pwd\n`);
    expect(out).toEqual([
      expect.stringMatching(new RegExp(`^3:24: steps\\.a\\.working_directory: .*${why}`)),
    ]);
  });

  it("a relative folder inside is fine", () => {
    expect(messages("steps:\n  a:\n    working_directory: src/../lib\n    run: pwd\n")).toEqual([]);
  });
});
