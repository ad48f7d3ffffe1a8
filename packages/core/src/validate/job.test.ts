// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests are full of workflow expressions
import { describe, expect, it } from "vitest";
import { formatProblem } from "../format/types.js";
import { validateActionText } from "./action.js";
import { validateWorkflowText } from "./workflow.js";

const problems = (text: string) => validateWorkflowText("wf.yaml", text).problems.map(formatProblem);

describe("jobs, matrices and services in a workflow", () => {
  it("accepts a job with a matrix, services and outputs, and lists its steps' uses", () => {
    const result = validateWorkflowText(
      "wf.yaml",
      `steps:
  lint:
    run: echo lint
  test:
    needs: lint
    strategy:
      matrix: {node: [18, 20], include: [{node: 22, experimental: true}]}
      max_parallel: 2
    runner: {type: docker, image: "node:\${{ matrix.node }}"}
    services:
      db: {image: postgres:16, env: {POSTGRES_PASSWORD: x}, options: --health-cmd pg_isready}
    steps:
      - uses: gantry/checkout
      - id: t
        run: npm test -- --db db \${{ steps.lint.result }}
        if: \${{ matrix.node != 18 }}
    outputs:
      report: \${{ steps.t.outputs.report }}
`,
    );
    expect(result.problems).toEqual([]);
    expect(result.uses.map((u) => [u.step, u.uses])).toEqual([["test.steps.0", "gantry/checkout"]]);
  });

  it("refuses what cannot work, with file:line:col", () => {
    expect(
      problems(`steps:
  lint:
    run: echo
  job:
    run: echo
    outputs: {x: "1"}
  build:
    needs: lint
    with: {a: 1}
    steps:
      - id: lint
        run: echo
      - id: a
        run: echo \${{ steps.b.outputs.x }}
      - id: a
        uses: ./x
        shell: bash
      - {}
  m:
    for_each: [1]
    strategy: {matrix: {a: [1], exclude: [{a: 1}]}}
    run: echo \${{ matrix.a }}
  s:
    services: {db: {image: x, options: --privileged}}
    steps: [{run: echo}]
`),
    ).toEqual([
      "wf.yaml:6:5: steps.job.outputs: only a job (steps: [...]) declares outputs; a step sets them in $GANTRY_OUTPUT",
      "wf.yaml:9:5: steps.build.with: a job (steps: [...]) runs its steps; 'with' belongs on one of them",
      "wf.yaml:11:13: steps.build.steps[0].id: 'lint' is also a step of the workflow; inside the job steps.lint would name both",
      "wf.yaml:14:23: steps.build.steps.1.run: unknown step 'b' (did you mean 'm'?)",
      "wf.yaml:15:13: steps.build.steps[2].id: 'a' is already the id of step 1 of this job",
      "wf.yaml:17:9: steps.build.steps[2].shell: 'shell' applies to 'run' steps; an action declares its language in runs.using",
      "wf.yaml:18:9: steps.build.steps[3]: a step needs 'run' (a script) or 'uses' (an action)",
      "wf.yaml:21:5: steps.m.strategy: a step has either strategy.matrix or for_each, not both",
      "wf.yaml:21:16: steps.m.strategy.matrix: the matrix has no combination left",
      "wf.yaml:24:5: steps.s.services: service containers need runner type docker; this job's runner is 'local'",
      "wf.yaml:24:40: steps.s.services.db.options: option '--privileged' is not supported (supported: --health-cmd, --health-interval, --health-timeout, --health-retries, --health-start-period)",
    ]);
  });

  it("a job's step reads only the job's steps before it", () => {
    expect(
      problems(`steps:
  build:
    steps:
      - run: echo \${{ steps.later.outputs.x }}
      - id: later
        run: echo
`),
    ).toEqual([
      "wf.yaml:4:23: steps.build.steps.0.run: step 'later' has not finished when this runs: add it to needs",
    ]);
  });

  it("accepts hashFiles() in a job's steps only, where the workspace exists", () => {
    expect(
      problems(`steps:
  build:
    steps:
      - uses: gantry/cache
        with: {key: "deps-\${{ hashFiles('**/package-lock.json', '!x') }}", path: node_modules}
      - if: \${{ hashFiles('a') != '' }}
        run: echo yes
  node:
    needs: build
    run: echo "\${{ hashFiles('a') }}"
outputs:
  h: \${{ hashFiles('b') }}
`),
    ).toEqual([
      "wf.yaml:10:20: steps.node.run: hashFiles() reads a job's workspace, so it works only in the steps of a job (steps: [...])",
      "wf.yaml:12:10: outputs.h: hashFiles() reads a job's workspace, so it works only in the steps of a job (steps: [...])",
    ]);
  });

  it("checks a composite action", () => {
    const text = `inputs: {who: {type: string}}
runs:
  using: composite
  run: echo
  steps:
    - run: echo \${{ inputs.whom }}
    - uses: ./other
`;
    expect(validateActionText("action.yaml", text).problems.map(formatProblem)).toEqual([
      "action.yaml:2:1: runs: 'composite' takes 'steps', not 'run'",
      "action.yaml:6:21: runs.steps.0.run: unknown input 'whom' (did you mean 'who'?)",
      "action.yaml:7:13: runs.steps[1].uses: a composite action's steps are run: steps (an action inside one is not supported)",
    ]);
  });
});
