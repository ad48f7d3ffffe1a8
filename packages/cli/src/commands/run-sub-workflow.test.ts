// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions
import { afterAll, describe, expect, it } from "vitest";
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
});
