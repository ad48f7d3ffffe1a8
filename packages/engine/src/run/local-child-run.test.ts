// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import type { RunInfo } from "@gantry/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadWorkflow } from "../loader/load-workflow.js";
import { LocalRunner } from "../runners/local/local-runner.js";
import { tempDir } from "../testing/temp-dir.js";
import type { RunEvent } from "./events.js";
import { runWorkflow } from "./run-workflow.js";

const CHILD = `
name: deploy-one
inputs:
  service: {type: string, required: true}
  fail: {type: boolean, default: false}
secrets:
  token: ref+env://GANTRY_TEST_LOCAL_OWN
steps:
  deploy:
    env: {SERVICE: "\${{ inputs.service }}", FAIL: "\${{ inputs.fail }}", TOKEN: "\${{ secrets.token }}"}
    run: |
      echo "deploying $SERVICE with [$TOKEN]"
      [ "$FAIL" = "true" ] && exit 3
      echo "image=registry/$SERVICE:1" >> "$GANTRY_OUTPUT"
outputs:
  image: \${{ steps.deploy.outputs.image }}
`;

describe("gantry run: sub-workflows run in the same process", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
    process.env.GANTRY_TEST_LOCAL_OWN = "child-own";
  });
  afterEach(() => {
    tmp.cleanup();
    delete process.env.GANTRY_TEST_LOCAL_OWN;
  });

  async function run(parent: string, files: Record<string, string>, secrets: Record<string, string> = {}) {
    for (const [name, text] of Object.entries(files)) tmp.write(name, text);
    const { loaded, problems } = await loadWorkflow(tmp.write("parent.yaml", parent));
    expect(problems).toEqual([]);
    const info: RunInfo = {
      id: "run-1",
      workflow: "parent",
      attempt: 1,
      trigger: { type: "manual" },
      inputs: {},
      secrets,
    };
    const events: RunEvent[] = [];
    const result = await runWorkflow(loaded!, {
      runner: new LocalRunner({ tmpRoot: tmp.dir, killGraceMs: 500 }),
      info,
      parallel: 4,
      onEvent: (e) => events.push(e),
    });
    const lines = (step: string) =>
      events.flatMap((e) => (e.type === "line" && e.step === step ? [e.line] : []));
    return { ...result, lines };
  }

  it("runs the child from the same folder; its outputs flow back, its log is indented under the step", async () => {
    const { report, lines } = await run(
      `
name: parent
secrets: {registry: ref+env://GANTRY_TEST_LOCAL_OWN}
steps:
  api:
    uses: workflow:deploy-one
    with: {service: api}
    secrets: {token: "\${{ secrets.registry }}"}
  web:
    uses: workflow:deploy-one
    with: {service: web}
  announce:
    needs: [api, web]
    run: echo "announce \${{ steps.api.outputs.image }} \${{ steps.web.outputs.image }}"
outputs:
  api: \${{ steps.api.outputs.image }}
`,
      { "deploy-one.yaml": CHILD },
      { registry: "from-parent" },
    );
    expect(report.status).toBe("succeeded");
    expect(report.outputs).toEqual({ api: "registry/api:1" });
    expect(report.steps.web?.outputs).toEqual({ image: "registry/web:1" });
    expect(lines("announce")).toEqual(["announce registry/api:1 registry/web:1"]);
    expect(lines("api")).toEqual([
      "▶ sub-workflow deploy-one (run run-1.api)",
      "  deploy ▶ deploy",
      // The passed secret is masked in the child's log as in the parent's.
      "  deploy │ deploying api with [***]",
      "  deploy succeeded",
    ]);
    // Not passed: the child's own secret, which the parent's masker does not know but the child's does.
    expect(lines("web")).toContain("  deploy │ deploying web with [***]");
  });

  it("finds the child by its name: in another file of the folder; a failing child fails the step, naming its step", async () => {
    const { report } = await run(
      "name: parent\nsteps:\n  go:\n    uses: workflow:deploy-one\n    with: {service: api, fail: true}\n",
      { "other-file.yaml": CHILD },
    );
    expect(report.status).toBe("failed");
    expect(report.steps.go?.error).toBe("sub-workflow deploy-one failed (step deploy): exited with code 3");
  });

  it("says which workflow is missing, refuses a child's missing required input, and times a child out with its step", async () => {
    const missing = await run("name: parent\nsteps:\n  go: {uses: 'workflow:nowhere'}\n", {});
    expect(missing.report.steps.go?.error).toBe(
      `sub-workflow 'nowhere': no workflow 'nowhere' in ${tmp.dir}`,
    );

    const refused = await run("name: parent\nsteps:\n  go: {uses: 'workflow:deploy-one'}\n", {
      "deploy-one.yaml": CHILD,
    });
    expect(refused.report.steps.go?.error).toMatch(/^sub-workflow 'workflow:deploy-one': .*service/);

    const slow = "name: slow\nsteps:\n  s: {run: 'sleep 30'}\n";
    const started = Date.now();
    const timed = await run("name: parent\nsteps:\n  go: {uses: 'workflow:slow', timeout: 1s}\n", {
      "slow.yaml": slow,
    });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(timed.report.steps.go?.status).toBe("timed_out");
    expect(timed.report.steps.go?.error).toBe("sub-workflow slow timed out: step 'go' has timeout 1s");
  });

  it("stops at ten levels deep, saying so", async () => {
    const files = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [
        `level-${i}.yaml`,
        `name: level-${i}\nsteps:\n  again: {uses: "workflow:level-${i + 1}"}\n`,
      ]),
    );
    const { report } = await run('name: parent\nsteps:\n  go: {uses: "workflow:level-0"}\n', files);
    expect(report.status).toBe("failed");
    expect(report.steps.go?.error).toMatch(/runs nest at most 10 deep \(this would be 11\)/);
  });
});
