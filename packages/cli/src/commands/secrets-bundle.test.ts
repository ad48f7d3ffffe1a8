import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gantry } from "../testing/gantry-process.js";

// The built, bundled CLI: a bundler can break what works from source (a lazily loaded library's exports).
describe("gantry secrets get, bundled", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gantry-secrets-bundle-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, "app.yaml"), "api:\n  token: from-yaml\n");
  writeFileSync(path.join(dir, "bad.yaml"), "api: [unclosed\n");

  it("points into a YAML file", async () => {
    const r = await gantry(["secrets", "get", `ref+file://${dir}/app.yaml#/api/token`]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("from-yaml\n");
    expect(r.code).toBe(0);
  });

  it("prints a YAML map it points to as YAML", async () => {
    const r = await gantry(["secrets", "get", `ref+file://${dir}/app.yaml#/api`]);
    expect(r.stdout).toBe("token: from-yaml\n");
    expect(r.code).toBe(0);
  });

  it("reports invalid YAML without quoting it", async () => {
    const r = await gantry(["secrets", "get", `ref+file://${dir}/bad.yaml#/api`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml is not valid YAML/);
    expect(r.stderr).not.toContain("unclosed");
  });
});
