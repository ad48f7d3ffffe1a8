// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions
import { describe, expect, it } from "vitest";
import { convert } from "../testing/convert.js";
import { evaluateCondition } from "./expand.js";
import { branchCondition } from "./filters.js";

const CONFIG = `version: 2.1
parameters:
  deploy-env:
    type: enum
    enum: [staging, production]
    default: staging
  run-slow:
    type: boolean
    default: false
commands:
  greet:
    parameters:
      who: {type: string, default: world}
    steps:
      - run: echo "hello << parameters.who >>"
executors:
  node:
    docker:
      - image: cimg/node:20.11
        environment: {NODE_ENV: test}
    resource_class: large
jobs:
  build:
    executor: node
    parameters:
      extra:
        type: steps
        default: []
      verbose:
        type: boolean
        default: false
    steps:
      - checkout
      - greet:
          who: builder
      - when:
          condition: << parameters.verbose >>
          steps:
            - run: echo verbose
      - steps: << parameters.extra >>
      - run:
          name: Build for << pipeline.parameters.deploy-env >>
          command: |
            echo "building $CIRCLE_SHA1 on << pipeline.git.branch >>"
            echo 'export BUILT=yes' >> "$BASH_ENV"
      - run:
          name: Report
          command: echo "built=$BUILT"
          when: always
  test:
    docker:
      - image: cimg/python:3.12
      - image: cimg/postgres:16.0
    steps:
      - run: pytest
  publish:
    machine: true
    steps:
      - restore_cache: {keys: [deps-v1]}
      - run: make publish
  package:
    docker: [{image: cimg/node:20.11}]
    steps:
      - checkout
      - restore_cache:
          keys:
            - deps-{{ .Branch }}-{{ checksum "package-lock.json" }}
            - deps-{{ .Branch }}-
      - run: npm ci
      - save_cache:
          key: deps-{{ .Branch }}-{{ checksum "package-lock.json" }}
          paths: [node_modules]
      - run: npm run build
      - persist_to_workspace: {root: ., paths: [dist]}
      - store_artifacts: {path: dist, destination: bundle}
      - store_test_results: {path: results}
      - run:
          name: Tell
          command: echo failed
          when: on_fail
  ship:
    docker: [{image: cimg/base:current}]
    steps:
      - attach_workspace: {at: .}
      - run: ls dist
workflows:
  ci:
    jobs:
      - build:
          verbose: true
          extra:
            - run: echo extra step
      - test:
          requires: [build]
      - package
      - ship:
          requires: [package]
      - publish:
          requires: [test]
          filters:
            branches: {only: [main, /release\\/.*/]}
            tags: {only: /^v.*/}
  nightly:
    triggers:
      - schedule:
          cron: "0 2 * * *"
          filters: {branches: {only: [main]}}
    jobs:
      - build
`;

describe("CircleCI configs", () => {
  const result = convert("circleci", ".circleci/config.yml", CONFIG);
  const ci = result.workflow;

  it("makes one workflow per CircleCI workflow, with the pipeline parameters as inputs", () => {
    expect(result.report.outputs.map((o) => o.path)).toEqual(["circleci-ci.yaml", "circleci-nightly.yaml"]);
    expect(ci.inputs).toEqual({
      "deploy-env": { type: "choice", enum: ["staging", "production"], default: "staging" },
      "run-slow": { type: "boolean", default: false },
    });
  });

  it("runs on every branch push, and on the tags a job's filter asks for; a scheduled workflow only on schedule", () => {
    expect(ci.on).toEqual({ push: { branches: ["**"], tags: ["**"] }, manual: {} });
    const nightly = result.report.outputs[1]?.text ?? "";
    expect(nightly).toContain("schedule:\n    - cron: 0 2 * * *");
    expect(nightly).not.toContain("push:");
  });

  it("expands commands, parameters, steps parameters and known when-conditions, as CircleCI does", () => {
    const build = ci.steps.build as Record<string, unknown>;
    expect(build).toMatchObject({
      runner: { type: "docker", image: "cimg/node:20.11", env: { NODE_ENV: "test" } },
      uses: "gantry/checkout",
      with: { depth: 0 },
    });
    const script = (build.with as { run: string }).run;
    expect(script).toContain('echo "hello builder"');
    expect(script).toContain("echo verbose");
    expect(script).toContain("echo extra step");
    // Pipeline values are read from the environment, never spliced into the script.
    expect(script).toContain('echo "building $CIRCLE_SHA1 on ${GITHUB_REF_NAME}"');
    expect(build.env).toMatchObject({
      CIRCLE_SHA1: "${{ github.sha }}",
      GITHUB_REF_NAME: "${{ github.ref_name }}",
    });
    // $BASH_ENV is read before each step; when: always runs after a failure.
    expect(script).toContain('. "$BASH_ENV"');
    expect(script).toContain("if true; then");
  });

  it("turns requires into needs and branch/tag filters into a condition on github.ref", () => {
    expect(ci.steps.test?.needs).toEqual(["build"]);
    expect(ci.steps.publish).toMatchObject({
      needs: ["test"],
      if: "${{ (startsWith(github.ref, 'refs/heads/') && (github.ref_name == 'main' || startsWith(github.ref_name, 'release/'))) || (startsWith(github.ref, 'refs/tags/') && startsWith(github.ref_name, 'v')) }}",
    });
  });

  it("turns jobs with service images, caches, workspaces and artifacts into jobs of steps", () => {
    expect(ci.steps.test).toEqual({
      needs: ["build"],
      runner: { type: "docker", image: "cimg/python:3.12" },
      services: { postgres: { image: "cimg/postgres:16.0" } },
      steps: [{ run: expect.stringContaining("pytest") }],
    });
    expect(result.feature("docker-services")[0]).toMatchObject({ outcome: "difference", detail: "postgres" });
    expect(ci.steps.package?.steps).toEqual([
      { uses: "gantry/checkout", with: { depth: 0 } },
      {
        name: "Cache",
        uses: "gantry/cache",
        with: {
          key: "deps-${{ github.ref_name }}-${{ hashFiles('package-lock.json') }}",
          restore_keys: "deps-${{ github.ref_name }}-",
          path: "node_modules",
        },
      },
      { run: expect.stringContaining("npm ci") },
      { run: expect.stringContaining("npm run build") },
      { uses: "gantry/upload-artifact", with: { name: "workspace-package", path: "dist" } },
      { uses: "gantry/upload-artifact", with: { name: "bundle", path: "dist" } },
      {
        uses: "gantry/upload-artifact",
        with: { name: "test-results", path: "results", if_no_files_found: "warn" },
      },
      { name: "Tell", if: "${{ failure() }}", run: expect.stringContaining("echo failed") },
    ]);
    expect(ci.steps.ship?.steps?.[0]).toEqual({
      uses: "gantry/download-artifact",
      with: { name: "workspace-package" },
    });
    expect(result.feature("caches")[0]).toMatchObject({ outcome: "difference" });
    expect(result.feature("job-of-steps").map((f) => f.detail)).toEqual([
      "1 step(s)",
      "8 step(s)",
      "2 step(s)",
    ]);
    // A restore_cache with nothing that saves it is left, saying why.
    expect(ci.steps.publish?.run).toContain("restore_cache without a later save_cache");
    expect(result.feature("machine-executor")[0]).toMatchObject({ outcome: "difference" });
    expect(result.feature("resource-class")).toHaveLength(2);
  });

  it("lists orbs with what of them the config used", () => {
    const withOrb = `version: 2.1
orbs:
  node: circleci/node@5.2
jobs:
  test:
    docker: [{image: cimg/base:current}]
    steps:
      - checkout
      - node/install-packages
workflows:
  main:
    jobs: [test, node/test]
`;
    const { feature, workflow } = convert("circleci", "config.yml", withOrb);
    expect(feature("orbs").map((f) => f.detail)).toEqual(
      expect.arrayContaining([
        "node/install-packages",
        "job node/test",
        "node: circleci/node@5.2; used here: node/install-packages, node/test",
      ]),
    );
    expect(workflow.steps.test?.run).toContain("it uses the orb's node/install-packages");
  });
});

describe("CircleCI pieces", () => {
  it("evaluates logic statements when every value is known", () => {
    expect(evaluateCondition({ and: [true, { not: false }] })).toBe(true);
    expect(evaluateCondition({ equal: ["a", "a"] })).toBe(true);
    expect(evaluateCondition({ or: [false, "<< pipeline.parameters.x >>"] })).toBeUndefined();
    expect(evaluateCondition("")).toBe(false);
  });

  it("writes filters as conditions, reporting regexes beyond a literal prefix", () => {
    expect(branchCondition({ branches: { ignore: "gh-pages" } }, false)).toEqual({
      expression: "!(github.ref_name == 'gh-pages')",
      unsupported: [],
    });
    expect(branchCondition({ branches: { only: "/.*/" } }, false)).toEqual({ unsupported: [] });
    expect(branchCondition({ branches: { only: "/v[0-9]+/" } }, false)).toEqual({
      unsupported: ["/v[0-9]+/"],
    });
    expect(branchCondition({ branches: { ignore: "/.*/" }, tags: { only: "/.*/" } }, true)).toEqual({
      expression: "startsWith(github.ref, 'refs/tags/')",
      unsupported: [],
    });
  });
});
