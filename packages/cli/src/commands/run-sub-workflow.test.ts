// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions

import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gitRemote } from "../../../engine/src/testing/git-repos.js";
import { tempDir } from "../../../engine/src/testing/temp-dir.js";
import { gantry } from "../testing/gantry-process.js";

const temp = tempDir("gantry-run-sub-");
afterAll(() => temp.cleanup());

describe("gantry run with a sub-workflow step", () => {
  it("runs the child workflow of the same folder in the same process, its log under the step, its outputs back", async () => {
    temp.write(
      "deploy-one.yaml",
      `name: deploy-one
inputs: {service: {type: string, required: true}}
steps:
  build: {run: 'echo "building $SERVICE"', env: {SERVICE: "\${{ inputs.service }}"}}
  push:
    needs: build
    env: {SERVICE: "\${{ inputs.service }}"}
    run: echo "image=registry/$SERVICE:1" >> "$GANTRY_OUTPUT"
outputs: {image: "\${{ steps.push.outputs.image }}"}
`,
    );
    const file = temp.write(
      "release.yaml",
      `name: release
steps:
  api: {uses: "workflow:deploy-one", with: {service: api}}
  tell: {needs: api, run: 'echo "released \${{ steps.api.outputs.image }}"'}
outputs: {image: "\${{ steps.api.outputs.image }}"}
`,
    );
    const run = await gantry(["run", file, "--json"], { cwd: temp.dir });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.status).toBe("succeeded");
    expect(report.outputs).toEqual({ image: "registry/api:1" });
    expect(run.stderr).toMatch(/api +\| ▶ sub-workflow deploy-one \(run [0-9a-f-]+\.api\)/);
    expect(run.stderr).toMatch(/api +\| {3}build │ building api/);
    expect(run.stderr).toMatch(/tell +\| released registry\/api:1/);
  }, 60_000);

  it("runs a library workflow (uses: <library>/<path>.yaml@<ref>) from gantry.yaml's libraries", async () => {
    const lib = gitRemote(path.join(temp.dir, "lib"));
    lib.write(
      "wf/hello.yaml",
      `name: hello
inputs: {who: {type: string, required: true}}
steps:
  say: {run: 'echo "said=hello $WHO" >> "$GANTRY_OUTPUT"', env: {WHO: "\${{ inputs.who }}"}}
outputs: {said: "\${{ steps.say.outputs.said }}"}
`,
    );
    lib.commit("v1");
    lib.git("tag", "v1");
    lib.push();
    lib.git("push", "--quiet", "origin", "v1");
    const dir = path.join(temp.dir, "caller");
    temp.write("caller/gantry.yaml", `libraries:\n  - {name: infra, url: "${lib.url}"}\n`);
    const file = temp.write(
      "caller/greet.yaml",
      `name: greet
steps:
  hi: {uses: "infra/wf/hello.yaml@v1", with: {who: ada}}
outputs: {said: "\${{ steps.hi.outputs.said }}"}
`,
    );
    const run = await gantry(["run", file, "--json"], {
      cwd: dir,
      env: { GANTRY_DATA: path.join(dir, "data") },
    });
    expect(run.stderr).toMatch(/hi +\| ▶ sub-workflow hello/);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).outputs).toEqual({ said: "hello ada" });
  }, 60_000);
});
