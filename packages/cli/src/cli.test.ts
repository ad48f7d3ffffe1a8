// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflows in these tests are full of ${{ }}.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gantry, repo } from "./testing/gantry-process.js";

const example = (name: string) => path.join(repo, "examples", name);

const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

describe("gantry CLI", () => {
  let tmp: string;
  beforeAll(() => {
    if (!existsSync(path.join(repo, "packages/cli/dist/main.js"))) {
      throw new Error(
        "packages/cli/dist is missing: run `npm run build` (npm test does it) before these tests",
      );
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), "gantry-cli-"));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("run --json prints one JSON document with the run and its steps", async () => {
    const r = await gantry(["run", example("dag-languages.yaml"), "--json", "--input", "count=4"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report).sort()).toEqual(["id", "outputs", "status", "steps"]);
    expect(report.status).toBe("succeeded");
    expect(report.outputs).toEqual({ total: "10", summary: "total 10" });
    expect(Object.keys(report.steps).sort()).toEqual(["numbers", "report", "squares", "sum"]);
    expect(report.steps.squares).toMatchObject({
      status: "succeeded",
      result: "success",
      attempts: 1,
      outputs: { squares: "[1,4,9,16]" },
      exit_code: 0,
    });
    expect(report.steps.sum.duration_ms).toBeGreaterThan(0);
    // Progress goes to stderr so stdout stays parseable.
    expect(r.stderr).toContain("sum of 1..4 is 10");
  });

  it("prints live lines with a prefix per step, then a summary table", async () => {
    const r = await gantry(["run", example("cleanup-always.yaml")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^migrate\s+! migration 0042 failed: column exists$/m);
    expect(r.stdout).toMatch(/^teardown\s+\| dropping scratch database \(migrate was failure\)$/m);
    expect(r.stdout).toMatch(/^STEP\s+RESULT\s+ATTEMPTS\s+DURATION$/m);
    expect(r.stdout).toMatch(/^smoke-test\s+skipped\s+0\s+-$/m);
    expect(r.stdout).toMatch(/^Run \S+ failed in /m);
  });

  it("fans out with for_each and lists outputs in item order", async () => {
    const r = await gantry([
      "run",
      example("fan-out.yaml"),
      "--json",
      "-i",
      '["b","a","c"]'.replace(/^/, "regions="),
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.outputs.urls).toEqual([
      "https://b.example.com",
      "https://a.example.com",
      "https://c.example.com",
    ]);
    expect(report.steps.deploy.items.map((i: { item: string }) => i.item)).toEqual(["b", "a", "c"]);
  });

  it("retries a flaky step and counts attempts", async () => {
    const r = await gantry(["run", example("flaky-retry.yaml"), "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.steps.flaky.attempts).toBe(3);
    expect(report.outputs.attempts).toBe("3");
  });

  it("runs a local action with typed inputs", async () => {
    const r = await gantry([
      "run",
      example("local-action.yaml"),
      "--json",
      "-i",
      "name=Grace",
      "-i",
      "excited=false",
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).outputs.greeting).toBe("Hello, Grace.");
  });

  it("takes inputs from a JSON file, with --input winning", async () => {
    const file = path.join(tmp, "inputs.json");
    writeFileSync(file, JSON.stringify({ who: "file", extra: 1 }));
    const bad = await gantry(["run", example("hello.yaml"), "--inputs-file", file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown input 'extra' (declared: who)");
    writeFileSync(file, JSON.stringify({ who: "file" }));
    const r = await gantry(["run", example("hello.yaml"), "--inputs-file", file, "--input", "who=flag"]);
    expect(r.stdout).toContain("Hello, flag!");
  });

  it("explains bad inputs in one line each, without a stack trace", async () => {
    const r = await gantry(["run", example("dag-languages.yaml"), "-i", "count=many", "-i", "novalue"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("gantry: --input 'novalue': expected NAME=VALUE");
    const r2 = await gantry(["run", example("dag-languages.yaml"), "-i", "count=0"]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain("input 'count': 0 is less than the minimum 1");
    const r3 = await gantry([
      "run",
      example("dag-languages.yaml"),
      "--inputs-file",
      path.join(tmp, "missing.json"),
    ]);
    expect(r3.stderr.trim()).toMatch(/missing\.json: file not found$/);
    for (const x of [r, r2, r3]) noStackTrace(x.stderr);
  });

  it("validate prints file:line:col for each problem and exits non-zero", async () => {
    const file = path.join(tmp, "broken.yaml");
    writeFileSync(
      file,
      "steps:\n  build:\n    run: make\n    nedds: [test]\n  test:\n    needs: [build, nope]\n    run: make test\n",
    );
    const r = await gantry(["validate", file]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toEqual([
      `${file}:4:5: steps.build: unknown key 'nedds' (did you mean 'needs'?)`,
      `${file}:6:20: steps.test.needs: unknown step 'nope' (the steps are: build)`,
    ]);
    noStackTrace(r.stderr);
  });

  it("validate accepts every example and says so", async () => {
    const r = await gantry(["validate", path.join(repo, "examples")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/✓ \d+ files valid/);
  });

  it("validate and run name a missing file", async () => {
    const r = await gantry(["validate", "no/such/file.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toBe("no/such/file.yaml:1:1: file or folder not found");
    const r2 = await gantry(["run", "no/such/file.yaml"]);
    expect(r2.code).toBe(2);
    expect(r2.stderr.trim()).toBe("no/such/file.yaml:1:1: file not found");
  });

  it("Ctrl-C cancels the run, kills the running step and still runs clean-up", async () => {
    const file = path.join(tmp, "long.yaml");
    writeFileSync(
      file,
      'steps:\n  long:\n    run: echo started; sleep 60\n  cleanup:\n    needs: long\n    if: ${{ always() }}\n    run: echo "cleanup after ${{ steps.long.result }}"\n',
    );
    let sent = false;
    const started = Date.now();
    const r = await gantry(["run", file], {
      onStdout: (text, child) => {
        if (!sent && text.includes("started")) {
          sent = true;
          child.kill("SIGINT");
        }
      },
    });
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.stdout).toContain("cleanup after cancelled");
    expect(r.stdout).toMatch(/^Run \S+ cancelled in /m);
  });

  it("says which database it cannot open, without its password", async () => {
    // --migrate: a server that waits for the schema would wait for this database to answer instead.
    const r = await gantry(
      ["server", "--database", "postgres://bob:hunter2@127.0.0.1:1/gantry", "--port", "0", "--migrate"],
      { env: { GANTRY_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString("base64") } },
    );
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^gantry: cannot open the database postgres:\/\/bob:\*\*\*@127\.0\.0\.1:1\/gantry: /,
    );
    expect(r.stderr).not.toContain("hunter2");
    const sqlite = await gantry(["worker", "--database", path.join(tmp, "x.db")]);
    expect(sqlite.code).toBe(2);
    expect(sqlite.stderr).toContain("--database must be a postgres:// URL");
    // No URL anywhere: one line naming the three places it can come from.
    const none = await gantry(["server"], { cwd: tmp });
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe(
      "gantry: a postgres:// URL is required for separate servers and workers: --database, GANTRY_DATABASE or database: in gantry.yaml",
    );
  });

  it("rejects an unknown command with usage help", async () => {
    const r = await gantry(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  describe("secrets", () => {
    const sops = path.join(repo, "packages/engine/src/secrets/testdata/sops");
    const env = { GANTRY_SOPS_PGP_KEY_FILE: path.join(sops, "pgp-test-key.asc") };

    it("run resolves a workflow's secrets from a sops file and masks them in the output", async () => {
      const file = path.join(tmp, "secrets.yaml");
      writeFileSync(
        file,
        [
          "secrets:",
          `  password: ref+sops://${path.join(sops, "example.enc.yaml")}#/app2/db/password`,
          "steps:",
          "  use:",
          "    run: |",
          '      echo "password is ${{ secrets.password }}"',
          '      [ "$PW" = "c4r1b0u" ] && echo "the step got the real value"',
          "    env:",
          "      PW: ${{ secrets.password }}",
          "",
        ].join("\n"),
      );
      const r = await gantry(["run", file], { env });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("password is ***");
      expect(r.stdout).toContain("the step got the real value");
      expect(r.stdout).not.toContain("c4r1b0u");
    });

    it("run names the reference and the reason when a secret cannot be resolved, never a value", async () => {
      const file = path.join(tmp, "bad-secret.yaml");
      writeFileSync(
        file,
        `secrets:\n  x: ref+sops://${path.join(sops, "example.enc.yaml")}#/no/such/key\nsteps:\n  a: {run: "true"}\n`,
      );
      const r = await gantry(["run", file], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/secrets: ref\+sops:\/\/.*#\/no\/such\/key: /);
      noStackTrace(r.stderr);
    });

    it("secrets get prints a value and secrets check lists references without values", async () => {
      const ref = `ref+sops://${path.join(sops, "example.enc.yaml")}#/myapp1`;
      const got = await gantry(["secrets", "get", ref], { env });
      expect(got.stdout).toBe("t00m4nys3cr3tzupdated\n");
      const file = path.join(tmp, "check.yaml");
      writeFileSync(
        file,
        `secrets:\n  a: ${ref}\n  b: ref+env://GANTRY_TEST_MISSING_VAR\nsteps:\n  s: {run: "true"}\n`,
      );
      const checked = await gantry(["secrets", "check", file], { env });
      expect(checked.code).toBe(1);
      expect(checked.stdout).toMatch(/^ok\s+ref\+sops:/m);
      expect(checked.stdout).toMatch(/^FAIL\s+ref\+env:\/\/GANTRY_TEST_MISSING_VAR: /m);
      expect(checked.stdout).not.toContain("t00m4nys3cr3tzupdated");
    });
  });
});
