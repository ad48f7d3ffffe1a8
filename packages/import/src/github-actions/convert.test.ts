// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions

import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { convert } from "../testing/convert.js";
import { rewriteExpression } from "./expressions.js";
import { nodeRewriter, type WorkflowScope } from "./references.js";

const WORKFLOW = `# Builds and releases
name: Release
on:
  push:
    branches: [main, "release/**"]
    paths-ignore: ["docs/**"]
  pull_request:
    types: [opened, synchronize, labeled]
  schedule:
    - cron: "0 3 * * 1"
  workflow_dispatch:
    inputs:
      target:
        description: Where to
        type: choice
        options: [staging, production]
        required: true
      dry-run:
        type: boolean
        default: "false"
      count:
        type: number
        default: 2
env:
  APP: shop
concurrency:
  group: release-\${{ github.ref }}
  cancel-in-progress: true
jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 15
    outputs:
      version: \${{ steps.meta.outputs.version }}
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
          submodules: recursive
      - uses: actions/setup-node@v4
        with:
          node-version: 20.x
          cache: npm
      # work out the version
      - id: meta
        run: echo "version=1.2.\${{ github.run_id }}" >> "$GITHUB_OUTPUT"
      - name: Test
        run: npm test
        env:
          TOKEN: \${{ secrets.NPM_TOKEN }}
  release:
    needs: build
    if: github.event_name == 'workflow_dispatch' && !inputs.dry-run
    runs-on: [self-hosted, linux, deploy]
    continue-on-error: true
    container:
      image: alpine:3.20
      env: {LANG: C}
    steps:
      - run: ./release.sh "\${{ needs.build.outputs.version }}" "\${{ github.event.inputs.target }}"
  matrix:
    needs: build
    strategy:
      matrix:
        os: [a, b]
    runs-on: ubuntu-latest
    steps:
      - run: echo \${{ matrix.os }}
  cached:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: deps
        uses: actions/cache@v4
        with:
          path: node_modules
          key: deps-\${{ hashFiles('**/package-lock.json') }}
          restore-keys: deps-
      - id: build
        name: Build
        if: steps.deps.outputs.cache-hit != 'true'
        run: |
          npm ci
          echo "size=\${{ steps.deps.outputs.cache-hit }}" >> "$GITHUB_OUTPUT"
        timeout-minutes: 5
        continue-on-error: true
      - uses: actions/upload-artifact@v4
        with: {name: dist, path: dist/, retention-days: 3, compression-level: 9}
      - run: print("summary")
        shell: python
    outputs:
      size: \${{ steps.build.outputs.size }}
  other:
    runs-on: ubuntu-latest
    steps:
      - uses: someone/thing@v1
  envy:
    runs-on: ubuntu-latest
    steps:
      - run: echo "X=1" >> "$GITHUB_ENV"
      - run: echo "$X"
`;

describe("GitHub Actions workflows", () => {
  const result = convert("github-actions", ".github/workflows/release.yml", WORKFLOW);
  const wf = result.workflow;

  it("names the workflow after its file and keeps the triggers with their filters", () => {
    expect(wf.name).toBe("release");
    expect(wf.description).toBe("Release");
    expect(wf.on).toEqual({
      push: { branches: ["main", "release/**"], "paths-ignore": ["docs/**"] },
      pull_request: { types: ["opened", "synchronize", "labeled"] },
      schedule: [{ cron: "0 3 * * 1" }],
      manual: {},
    });
  });

  it("declares workflow_dispatch inputs with their types; required only when a person is the only trigger", () => {
    expect(wf.inputs).toEqual({
      // Other events start this workflow too, with the input empty: not required in Gantry.
      target: { type: "choice", enum: ["staging", "production"], description: "Where to" },
      "dry-run": { type: "boolean", default: false },
      count: { type: "number", default: 2 },
    });
    expect(result.feature("dispatch-input-required")).toHaveLength(1);
  });

  it("keeps env and concurrency (cancel-in-progress: true is cancel-running)", () => {
    expect(wf.env).toEqual({ APP: "shop" });
    expect(wf.concurrency).toEqual({ group: "release-${{ github.ref }}", policy: "cancel-running" });
  });

  it("turns a job into a job of steps: checkout, run steps, the setup action's image, the outputs", () => {
    const build = wf.steps.build as Record<string, unknown>;
    expect(build).toMatchObject({
      runner: { type: "docker", image: "node:20" },
      timeout: "15m",
      outputs: { version: "${{ steps.meta.outputs.version }}" },
    });
    const steps = build.steps as Array<Record<string, unknown>>;
    expect(steps[0]).toEqual({
      uses: "gantry/checkout",
      with: { depth: 0, run: "git submodule update --init --recursive\n" },
    });
    expect(steps[1]).toMatchObject({ id: "meta", env: { GITHUB_RUN_ID: "${{ run.id }}" } });
    expect(steps[1]?.run).toContain('echo "version=1.2.${GITHUB_RUN_ID}" >> "$GITHUB_OUTPUT"');
    // GitHub's default shell has no pipefail; Gantry's bash has: the step says so.
    expect(steps[1]?.run).toContain("set +o pipefail");
    expect(steps[2]).toMatchObject({ name: "Test", env: { TOKEN: "${{ secrets.NPM_TOKEN }}" } });
    expect(steps[2]?.run).toContain("npm test");
    // The step's comment stays above it.
    expect(result.texts["release.yaml"]).toContain("      - # work out the version\n        id: meta");
    expect(result.feature("setup-cache")).toHaveLength(1);
  });

  it("rewrites needs outputs, github.event.inputs and self-hosted labels for the next job", () => {
    const release = wf.steps.release as Record<string, unknown>;
    expect(release).toMatchObject({
      needs: ["build"],
      if: "${{ github.event_name == 'workflow_dispatch' && !inputs.dry-run }}",
      runner: { type: "docker", image: "alpine:3.20", env: { LANG: "C" }, labels: ["linux", "deploy"] },
      continue_on_error: true,
    });
    const [step] = release.steps as Array<Record<string, unknown>>;
    expect(step?.env).toEqual({
      NEEDS_BUILD_OUTPUTS_VERSION: "${{ steps.build.outputs.version }}",
      GITHUB_EVENT_INPUTS_TARGET: "${{ inputs.target }}",
    });
    expect(step?.run).toContain(
      './release.sh "${NEEDS_BUILD_OUTPUTS_VERSION}" "${GITHUB_EVENT_INPUTS_TARGET}"',
    );
  });

  it("keeps a job whose steps pass values through $GITHUB_ENV as one script, which reads it between them", () => {
    const envy = wf.steps.envy as Record<string, unknown>;
    expect(envy.steps).toBeUndefined();
    expect(envy.run).toContain("gantry_github_env");
    expect(result.feature("run-steps").map((f) => f.detail)).toEqual(["2 step(s) in one script"]);
  });

  it("declares each secret as a reference to fill in", () => {
    expect(wf.secrets).toEqual({ NPM_TOKEN: "ref+env://NPM_TOKEN" });
    expect(result.texts["release.yaml"]).toContain("# Fill in: GitHub secret NPM_TOKEN.");
    expect(result.feature("secrets")).toEqual([expect.objectContaining({ outcome: "difference" })]);
  });

  it("converts a matrix job to a node with strategy.matrix reading matrix.<axis>", () => {
    const matrix = wf.steps.matrix as Record<string, unknown>;
    expect(matrix).toMatchObject({ needs: ["build"], strategy: { matrix: { os: ["a", "b"] } } });
    expect(JSON.stringify(matrix.steps)).toContain("${{ matrix.os }}");
    expect(result.feature("matrix")[0]).toMatchObject({ outcome: "converted" });
  });

  it("turns a job using actions Gantry has into a job of steps, each step as it was", () => {
    expect(wf.steps.cached).toEqual({
      steps: [
        { uses: "gantry/checkout", with: {} },
        {
          id: "deps",
          uses: "gantry/cache",
          with: {
            path: "node_modules",
            key: "deps-${{ hashFiles('**/package-lock.json') }}",
            restore_keys: "deps-",
          },
        },
        {
          name: "Build",
          id: "build_step",
          if: "${{ steps.deps.outputs.cache-hit != 'true' }}",
          continue_on_error: true,
          timeout: "5m",
          env: { STEPS_DEPS_OUTPUTS_CACHE_HIT: "${{ steps.deps.outputs.cache-hit }}" },
          run: expect.stringContaining('echo "size=${STEPS_DEPS_OUTPUTS_CACHE_HIT}" >> "$GITHUB_OUTPUT"'),
        },
        { uses: "gantry/upload-artifact", with: { name: "dist", path: "dist/", retention_days: 3 } },
        { shell: "python", run: 'print("summary")' },
      ],
      outputs: { size: "${{ steps.build_step.outputs.size }}" },
    });
    expect(result.feature("cache")[0]).toMatchObject({ outcome: "converted" });
    expect(result.feature("artifacts")[0]).toMatchObject({ outcome: "converted" });
    expect(result.feature("job-of-steps").map((f) => [f.outcome, f.detail])).toEqual([
      ["converted", "3 step(s)"],
      ["converted", "1 step(s)"],
      ["converted", "1 step(s)"],
      ["converted", "5 step(s)"],
    ]);
    expect(result.feature("action-inputs-dropped")[0]).toMatchObject({
      outcome: "difference",
      detail: "actions/upload-artifact@v4: compression-level",
    });
    // A job with an action Gantry has not still fails, saying what to do.
    expect(wf.steps.other?.run).toContain("it uses someone/thing@v1, which has no Gantry action");
    const text = result.texts["release.yaml"] as string;
    expect(text).toContain("  # The job as it was:\n  #     other:");
  });

  it("writes no ${{ }} into any script (a security rule refuses outside data in script text)", () => {
    type Node = { run?: unknown; with?: { run?: string }; steps?: Node[] };
    const nodes = Object.values(wf.steps) as Node[];
    for (const node of [...nodes, ...nodes.flatMap((n) => n.steps ?? [])]) {
      const script = typeof node.run === "string" ? node.run : (node.with?.run ?? "");
      expect(script).not.toContain("${{");
    }
  });

  it("keeps the file's header comment and says at the top that it is not fully converted", () => {
    const text = result.texts["release.yaml"] as string;
    expect(text).toMatch(
      /^# Converted by `gantry import github-actions` from \.github\/workflows\/release\.yml \(GitHub Actions workflow "Release"\)\.\n# NOT FULLY CONVERTED:/,
    );
    expect(text).toContain("\n# Builds and releases\n");
  });
});

describe("GitHub expressions", () => {
  const scope: WorkflowScope = {
    inputs: new Map([["env", "env"]]),
    jobs: new Map([["build", "build"]]),
    outputs: new Map([["build", new Map([["image", "image-ref"]])]]),
    secrets: new Map(),
    env: new Set(["APP"]),
  };
  const rewrite = nodeRewriter(scope, { job: "deploy", needs: new Set(["build"]) });
  it.each([
    ["needs.build.outputs.image", "steps.build.outputs.image-ref"],
    ["needs.build.result == 'success'", "steps.build.result == 'success'"],
    ["github.event.inputs.env", "inputs.env"],
    ["github.workflow", "run.workflow"],
    ["github.token", "secrets.GITHUB_TOKEN"],
    ["github.job", "'deploy'"],
    ["github.event.workflow_run.conclusion == 'success'", "trigger.result == 'success'"],
    ["runner.os == 'Linux'", "'Linux' == 'Linux'"],
    ["format('{0}-{1}', env.APP, github.sha)", "format('{0}-{1}', env.APP, github.sha)"],
    [
      "contains(github.event.pull_request.labels.*.name, 'ok')",
      "contains(github.event.pull_request.labels.*.name, 'ok')",
    ],
    ["!(cancelled() || failure())", "!(cancelled() || failure())"],
  ])("%s -> %s", (source, expected) => {
    const result = rewriteExpression(source, rewrite);
    expect(result.unsupported).toEqual([]);
    expect(result.text).toBe(expected);
  });

  it.each([
    ["matrix.os", "matrix"],
    ["strategy.job-index", "matrix"],
    ["steps.meta.outputs.v", "step-steps-context"],
    ["hashFiles('**/package-lock.json')", "context-unsupported"],
    ["needs.other.outputs.x", undefined],
    ["env.SET_AT_RUN_TIME", "step-steps-context"],
  ])("%s cannot be converted (%s)", (source, feature) => {
    const result = rewriteExpression(source, rewrite);
    expect(result.unsupported[0]?.feature).toBe(feature);
  });
});

describe("GitHub actions (action.yml)", () => {
  it("turns a composite action of run steps into a bash action reading its inputs as INPUT_<NAME>", () => {
    const action = `name: Greet
description: says hello
inputs:
  who:
    description: whom
    default: world
runs:
  using: composite
  steps:
    - run: echo "hello \${{ inputs.who }}"
      shell: bash
    - run: ls "\${{ github.action_path }}"
      shell: bash
`;
    const { report, texts } = convert("github-actions", "action.yml", action);
    expect(report.outputs.map((o) => o.path)).toEqual(["actions/greet/action.yaml"]);
    const spec = parse(texts["actions/greet/action.yaml"] as string);
    expect(spec.inputs).toEqual({ who: { type: "string", description: "whom", default: "world" } });
    expect(spec.runs.using).toBe("bash");
    expect(spec.runs.run).toContain('echo "hello ${INPUT_WHO}"');
    expect(spec.runs.run).toContain('ls "${GANTRY_ACTION_PATH}"');
  });

  it("leaves a composite action with uses: steps for composite actions, saying so in the action", () => {
    const action =
      "name: Cached\nruns:\n  using: composite\n  steps:\n    - uses: actions/cache@v4\n      with: {path: a, key: b}\n    - run: echo hi\n      shell: bash\n";
    const { texts, feature } = convert("github-actions", "action.yml", action);
    const text = texts["actions/cached/action.yaml"] as string;
    expect(text).toContain("NOT FULLY CONVERTED");
    expect(parse(text).runs.run).toContain("needs composite actions (#23)");
    expect(feature("composite-action-steps")[0]).toMatchObject({ outcome: "later" });
  });
});
