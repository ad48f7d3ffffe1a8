// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions
import { describe, expect, it } from "vitest";
import { formatProblem } from "../format/types.js";
import { validateActionText } from "./action.js";
import { validateWorkflowText } from "./workflow.js";

const yaml = (...lines: string[]) => `${lines.join("\n")}\n`;
const problems = (text: string) => validateWorkflowText("wf.yaml", text).problems.map(formatProblem);
const actionProblems = (text: string) => validateActionText("action.yaml", text).problems.map(formatProblem);

describe("runner validation", () => {
  it("accepts docker and kubernetes runners with their options", () => {
    expect(
      problems(
        yaml(
          "defaults:",
          "  runner: {type: docker, image: node:20, pull: always, memory: 512m, cpus: 1.5, docker: true}",
          "steps:",
          "  a: {run: npm test, runner: {volumes: ['/cache:/cache:ro'], network: host, user: '1000'}}",
          "  b:",
          "    run: make",
          "    runner:",
          "      type: kubernetes",
          "      image: golang:1.22",
          "      namespace: ci",
          "      resources: {limits: {memory: 2Gi}}",
          "      tolerations: [{key: gpu, operator: Exists}]",
          "      image_pull_secrets: [regcred]",
        ),
      ),
    ).toEqual([]);
  });

  it("names an unknown type with the allowed ones, and an unknown key", () => {
    const found = problems(yaml("steps:", "  a: {run: x, runner: {type: podman, imag: y}}"));
    expect(found.join("\n")).toMatch(
      /wf\.yaml:2:30: steps.a.runner.type: 'podman' is not allowed; allowed values: "local", "docker", "kubernetes", "ssh"/,
    );
    expect(found).toContain("wf.yaml:2:38: steps.a.runner: unknown key 'imag' (did you mean 'image'?)");
  });

  it("flags keys that do nothing for the chosen type", () => {
    expect(
      problems(yaml("steps:", "  a: {run: x, runner: {type: docker, image: i, namespace: ci}}")),
    ).toEqual([
      "wf.yaml:2:48: steps.a.runner.namespace: only applies to runner type kubernetes; this runner is 'docker'",
    ]);
    expect(problems(yaml("steps:", "  a: {run: x, runner: {image: i}}"))).toEqual([
      "wf.yaml:2:24: steps.a.runner.image: only applies to runner type docker or kubernetes; this runner is 'local'",
    ]);
  });

  it("needs an image for a run step in a container, from the step or the defaults", () => {
    expect(problems(yaml("steps:", "  a:", "    run: x", "    runner: {type: docker}"))).toEqual([
      "wf.yaml:4:5: steps.a.runner: runner type docker needs an 'image' (on the step or in defaults.runner)",
    ]);
    expect(
      problems(
        yaml("defaults: {runner: {type: docker, image: i}}", "steps:", "  a: {run: x, runner: {memory: 1g}}"),
      ),
    ).toEqual([]);
  });

  it("reads quantities, and checks expressions in runner values", () => {
    expect(problems(yaml("steps:", "  a: {run: x, runner: {type: docker, image: i, memory: lots}}"))).toEqual(
      ["wf.yaml:2:56: steps.a.runner.memory: 'lots' is not a quantity (use e.g. 512m, 2g or 2Gi)"],
    );
    const found = problems(
      yaml("steps:", "  a: {run: x, runner: {type: docker, image: '${{ inputs.nope }}'}}"),
    );
    expect(found.join("\n")).toMatch(/nope/);
  });
});

describe("container actions", () => {
  it("accepts image, command and entrypoint", () => {
    expect(
      actionProblems(
        yaml("runs: {using: container, image: alpine/helm:3, entrypoint: helm, command: [version]}"),
      ),
    ).toEqual([]);
  });

  it("needs an image, and takes no script", () => {
    expect(actionProblems(yaml("runs: {using: container, run: echo}"))).toEqual([
      "action.yaml:1:1: runs: 'container' needs 'image' (the image to run)",
      "action.yaml:1:1: runs: 'container' takes 'image', 'command' and 'entrypoint', not 'script' or 'run'",
    ]);
    expect(actionProblems(yaml("runs: {using: bash, run: echo, image: x}"))).toEqual([
      "action.yaml:1:1: runs: 'image' and 'entrypoint' are only for using: container",
    ]);
  });

  it("cannot be put on the local runner", () => {
    expect(actionProblems(yaml("runs: {using: container, image: x}", "runner: {type: local}"))).toEqual([
      "action.yaml:2:16: runner.type: a container action runs on docker or kubernetes, not local",
    ]);
  });
});

describe("ssh runners", () => {
  it("accepts nodes, max_parallel and keep_going, and item as the node's name", () => {
    expect(
      problems(
        yaml(
          "inputs: {region: {type: string, default: eu}, targets: {type: nodes, default: 'tags:web'}}",
          "defaults: {runner: {type: ssh, nodes: 'tags:web and tags:${{ inputs.region }}'}}",
          "steps:",
          "  a: {run: 'echo ${{ item }}', runner: {max_parallel: 5, keep_going: true}}",
          "  b: {run: x, runner: {type: ssh, nodes: '${{ inputs.targets }}'}}",
          "  c: {run: x, runner: {type: local}}",
        ),
      ),
    ).toEqual([]);
  });

  it("points at the character where a selector goes wrong", () => {
    expect(problems(yaml("steps:", "  a: {run: x, runner: {type: ssh, nodes: 'tags:web eu'}}"))).toEqual([
      "wf.yaml:2:52: steps.a.runner.nodes: expected 'and' or 'or' before 'eu' (there is no implicit 'and')",
    ]);
    expect(problems(yaml("steps:", "  a: {run: x, runner: {type: ssh, nodes: '(tags:web'}}"))).toEqual([
      "wf.yaml:2:43: steps.a.runner.nodes: '(' is never closed",
    ]);
  });

  it("needs nodes, refuses container keys, for_each, and nodes on other types", () => {
    expect(problems(yaml("steps:", "  a: {run: x, runner: {type: ssh}}"))).toEqual([
      "wf.yaml:2:15: steps.a.runner: runner type ssh needs 'nodes', a node selector such as tags:web (on the step or in defaults.runner)",
    ]);
    expect(problems(yaml("steps:", "  a: {run: x, runner: {type: ssh, nodes: '*', image: x}}"))).toEqual([
      "wf.yaml:2:47: steps.a.runner.image: only applies to runner type docker or kubernetes; this runner is 'ssh'",
    ]);
    expect(problems(yaml("steps:", "  a: {run: x, for_each: [1], runner: {type: ssh, nodes: '*'}}"))).toEqual(
      [
        "wf.yaml:2:15: steps.a.for_each: a step on runner type ssh already runs once per node; for_each cannot be added",
      ],
    );
    expect(problems(yaml("steps:", "  a: {run: x, runner: {nodes: '*', max_parallel: 2}}"))).toEqual([
      "wf.yaml:2:24: steps.a.runner.nodes: only applies to runner type ssh; this runner is 'local'",
      "wf.yaml:2:36: steps.a.runner.max_parallel: only applies to runner type ssh; this runner is 'local'",
    ]);
  });

  it("lets a selector read only what is known when the run starts", () => {
    const found = problems(
      yaml(
        "steps:",
        "  a: {run: x}",
        "  b: {needs: a, run: x, runner: {type: ssh, nodes: '${{ steps.a.outputs.hosts }}'}}",
      ),
    );
    expect(found).toEqual([
      "wf.yaml:3:57: steps.b.runner.nodes: the 'steps' context is not available here (available: inputs, run, trigger, vars, github)",
    ]);
  });

  it("refuses ssh as an action's own runner, and checks nodes input defaults", () => {
    expect(actionProblems(yaml("runs: {using: bash, run: x}", "runner: {type: ssh, nodes: '*'}"))).toEqual([
      "action.yaml:2:16: runner.type: an action cannot choose ssh; the step that uses it does (runner: {type: ssh, nodes: …})",
    ]);
    expect(problems(yaml("inputs: {t: {type: nodes, default: 'tags:'}}", "steps: {a: {run: x}}"))[0]).toMatch(
      /inputs\.t\.default: "tags:" is not a node selector: 'tags:' needs a value/,
    );
  });
});
