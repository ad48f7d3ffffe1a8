// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests hold workflow expressions
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitRemote } from "../../../engine/src/testing/git-repos.js";
import { gantry } from "../testing/gantry-process.js";

const ACTION = `name: greet
inputs: {who: {type: string, required: true}}
runs: {using: bash, script: greet.sh}
`;

describe("gantry validate --config (libraries)", () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gantry-validate-"));
    const lib = gitRemote(path.join(dir, "lib"));
    lib.write("greet/action.yaml", ACTION);
    lib.write("greet/greet.sh", 'echo "hello $INPUT_WHO"\n');
    lib.commit("greet");
    lib.git("tag", "v1");
    lib.push("main");
    lib.git("push", "--quiet", "origin", "v1");
    writeFileSync(
      path.join(dir, "gantry.yaml"),
      `data: ${path.join(dir, "data")}\nlibraries:\n  - {name: infra, url: ${lib.url}}\n`,
    );
    writeFileSync(
      path.join(dir, "ok.yaml"),
      "name: ok\nsteps:\n  hi:\n    uses: infra/greet@v1\n    with: {who: you}\n",
    );
    writeFileSync(
      path.join(dir, "bad.yaml"),
      "name: bad\nsteps:\n  hi:\n    uses: infra/greet@v9\n    with: {who: you}\n  no:\n    uses: infra/missing@main\n  typo:\n    uses: infra/greet@v1\n    with: {whom: you}\n",
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("resolves library actions from the config's libraries", async () => {
    const r = await gantry([
      "validate",
      "--config",
      path.join(dir, "gantry.yaml"),
      path.join(dir, "ok.yaml"),
    ]);
    expect(r.stdout).toBe("");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("1 file valid");
  });

  it("finds ./gantry.yaml by itself, and reports unknown refs, paths and inputs of library actions", async () => {
    const r = await gantry(["validate", "bad.yaml"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "bad.yaml:4:11: steps.hi.uses: 'v9' is not a branch, tag or commit of library 'infra'",
    );
    expect(r.stdout).toMatch(/bad\.yaml:7:11: steps\.no\.uses: no action\.yaml in 'infra\/missing@main'/);
  });

  it("without a config says the library is not configured", async () => {
    const r = await gantry(["validate", path.join(dir, "ok.yaml")], { cwd: os.tmpdir() });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("library 'infra' is not configured");
  });

  it("names a missing --config file", async () => {
    const r = await gantry(["validate", "--config", path.join(dir, "nope.yaml"), path.join(dir, "ok.yaml")]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("nope.yaml: file not found");
  });
});

describe("gantry validate: outside text in scripts", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "gantry-validate-fix-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses it with file:line:col and the rewrite; --fix applies the rewrite", async () => {
    const file = path.join(dir, "greet.yaml");
    writeFileSync(
      file,
      'name: greet\ninputs:\n  who: {type: string}\nsteps:\n  hi:\n    run: echo "hello ${{ inputs.who }}"\n',
    );
    const refused = await gantry(["validate", file]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`${file}:6:22: steps.hi.run: \${{ inputs.who }} puts input 'who'`);
    expect(refused.stdout).toContain('env: {WHO: "${{ inputs.who }}"}');
    const fixed = await gantry(["validate", "--fix", file]);
    expect(fixed.code).toBe(0);
    expect(fixed.stderr).toContain("1 value moved from script text to env:");
    expect(readFileSync(file, "utf8")).toBe(
      'name: greet\ninputs:\n  who: {type: string}\nsteps:\n  hi:\n    env: { WHO: "${{ inputs.who }}" }\n    run: echo "hello ${WHO}"\n',
    );
  });
});
