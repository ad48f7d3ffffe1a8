import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { registerSecretsCommands } from "./secrets.js";

const fixtures = fileURLToPath(new URL("../../../engine/src/secrets/testdata/sops/", import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "gantry-secrets-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(path.join(dir, "secrets"));
cpSync(path.join(fixtures, "example.enc.yaml"), path.join(dir, "secrets", "ci.enc.yaml"));
writeFileSync(path.join(dir, "token.txt"), "file-secret-value");

const workflow = `name: deploy
secrets:
  registry_token: ref+sops://secrets/ci.enc.yaml#/app2/db/password
  db_user: ref+sops://secrets/ci.enc.yaml#/app2/db/user
  missing_key: ref+sops://secrets/ci.enc.yaml#/app2/db/nope
on:
  webhook: [{name: deploy-hook, secret: ref+env://DEPLOY_HOOK_SECRET}]
  rabbitmq: [{url: ref+env://AMQP_URL_NOT_SET, queue: deploys}]
env:
  TOKEN: ref+file://token.txt
steps:
  build:
    run: echo hi
    with: {token: "ref+sops://secrets/ci.enc.yaml#/app2/db/password", other: plain}
`;
writeFileSync(path.join(dir, "deploy.yaml"), workflow);

let out = "";
let err = "";
beforeEach(() => {
  out = "";
  err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  vi.stubEnv("GANTRY_SOPS_PGP_KEY", readFileSync(path.join(fixtures, "pgp-test-key.asc"), "utf8"));
  vi.stubEnv("DEPLOY_HOOK_SECRET", "hook-secret-value");
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined;
});

async function gantry(...args: string[]): Promise<number | undefined> {
  const program = new Command().name("gantry").exitOverride();
  registerSecretsCommands(program);
  await program.parseAsync(["node", "gantry", ...args]);
  const code = process.exitCode === undefined ? undefined : Number(process.exitCode);
  process.exitCode = undefined;
  return code;
}

describe("gantry secrets check", () => {
  it("prints ok or FAIL per distinct reference, never a value, and exits 1 on a failure", async () => {
    const code = await gantry("secrets", "check", path.join(dir, "deploy.yaml"));
    expect(out.split("\n")).toEqual([
      "ok   ref+sops://secrets/ci.enc.yaml#/app2/db/password",
      "ok   ref+sops://secrets/ci.enc.yaml#/app2/db/user",
      'FAIL ref+sops://secrets/ci.enc.yaml#/app2/db/nope: /app2/db/nope: key "nope" not found at /app2/db',
      "ok   ref+env://DEPLOY_HOOK_SECRET",
      "FAIL ref+env://AMQP_URL_NOT_SET: environment variable AMQP_URL_NOT_SET is not set",
      "ok   ref+file://token.txt",
      "",
    ]);
    for (const value of ["c4r1b0u", "eve", "hook-secret-value", "file-secret-value"]) {
      expect(out + err).not.toContain(value);
    }
    expect(code).toBe(1);
  });

  it("exits 0 when every reference resolves", async () => {
    writeFileSync(path.join(dir, "good.yaml"), "secrets:\n  a: ref+env://DEPLOY_HOOK_SECRET\n");
    expect(await gantry("secrets", "check", path.join(dir, "good.yaml"))).toBe(0);
    expect(out).toBe("ok   ref+env://DEPLOY_HOOK_SECRET\n");
  });

  it("reports an unreadable or invalid file", async () => {
    expect(await gantry("secrets", "check", path.join(dir, "nope.yaml"))).toBe(1);
    expect(err).toContain("cannot read");
    writeFileSync(path.join(dir, "bad.yaml"), "a: [\n");
    expect(await gantry("secrets", "check", path.join(dir, "bad.yaml"))).toBe(1);
    expect(err).toMatch(/bad\.yaml:\d+:\d+: invalid YAML/);
  });
});

describe("gantry secrets get", () => {
  it("prints a value, a decrypted document, or a map as JSON", async () => {
    expect(await gantry("secrets", "get", "ref+env://DEPLOY_HOOK_SECRET")).toBe(0);
    expect(out).toBe("hook-secret-value\n");

    out = "";
    await gantry("secrets", "get", "--base-dir", dir, "ref+sops://secrets/ci.enc.yaml#/app2/db");
    expect(out).toBe("user: eve\npassword: c4r1b0u\n");

    out = "";
    await gantry(
      "secrets",
      "get",
      "--base-dir",
      dir,
      "-o",
      "json",
      "ref+sops://secrets/ci.enc.yaml#/app2/db",
    );
    expect(JSON.parse(out)).toEqual({ user: "eve", password: "c4r1b0u" });

    out = "";
    await gantry("secrets", "get", "--base-dir", dir, "ref+sops://secrets/ci.enc.yaml");
    expect(out.startsWith("myapp1: t00m4nys3cr3tzupdated\napp2:\n")).toBe(true);
  });

  it("prints the error (no value) and exits 1 when the reference fails", async () => {
    expect(await gantry("secrets", "get", "ref+env://NOT_SET_ANYWHERE")).toBe(1);
    expect(out).toBe("");
    expect(err).toBe(
      "gantry secrets get: ref+env://NOT_SET_ANYWHERE: environment variable NOT_SET_ANYWHERE is not set\n",
    );
  });
});
