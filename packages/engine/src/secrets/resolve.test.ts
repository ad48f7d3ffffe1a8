import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { createSecretCache } from "./cache.js";
import { SecretError } from "./errors.js";
import type { ProviderValue } from "./provider.js";
import { SecretProviders } from "./registry.js";
import { resolveRefsDeep, resolveSecretRef } from "./resolve.js";

const fixtures = fileURLToPath(new URL("./testdata/sops/", import.meta.url));
const pgpKey = readFileSync(path.join(fixtures, "pgp-test-key.asc"), "utf8");
const dir = mkdtempSync(path.join(tmpdir(), "gantry-secrets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(path.join(dir, "token.txt"), "file-token\n");
writeFileSync(path.join(dir, "config.yaml"), "db:\n  password: yaml-pass\n  port: 5432\n");
writeFileSync(path.join(dir, "config.json"), '{"api": {"key": "json-key"}}');
cpSync(path.join(fixtures, "example.enc.yaml"), path.join(dir, "example.enc.yaml"));

async function failure(promise: Promise<unknown>): Promise<SecretError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(SecretError);
    return err as SecretError;
  }
  throw new Error("expected the reference to fail");
}

describe("env and file providers", () => {
  const env = { TOKEN: "env-token", JSON_CREDS: '{"user": "u1", "pass": "env-pass"}' };

  it("reads variables from the env it is given, pointing into JSON values", async () => {
    expect(await resolveSecretRef("ref+env://TOKEN", { baseDir: dir, env })).toBe("env-token");
    expect(await resolveSecretRef("ref+env://JSON_CREDS#/pass", { baseDir: dir, env })).toBe("env-pass");
    const err = await failure(resolveSecretRef("ref+env://MISSING", { baseDir: dir, env }));
    expect(err.reason).toBe("not-found");
    expect(err.message).toBe("ref+env://MISSING: environment variable MISSING is not set");
  });

  it("reads files relative to the base directory, or absolute", async () => {
    expect(await resolveSecretRef("ref+file://token.txt", { baseDir: dir })).toBe("file-token\n");
    const absolute = `ref+file://${path.join(dir, "token.txt")}`;
    expect(await resolveSecretRef(absolute, { baseDir: "/nonexistent" })).toBe("file-token\n");
  });

  it("points into YAML and JSON files, and returns their exact text as a string", async () => {
    expect(await resolveSecretRef("ref+file://config.yaml#/db/password", { baseDir: dir })).toBe("yaml-pass");
    expect(await resolveSecretRef("ref+file://config.yaml#/db/port", { baseDir: dir })).toBe(5432);
    expect(await resolveSecretRef("ref+file://config.json#/api", { baseDir: dir })).toEqual({
      key: "json-key",
    });
    const text = await resolveSecretRef("ref+file://config.yaml", { baseDir: dir, as: "string" });
    expect(text).toBe("db:\n  password: yaml-pass\n  port: 5432\n");
    const sub = await resolveSecretRef("ref+file://config.yaml#/db", { baseDir: dir, as: "string" });
    expect(sub).toBe("password: yaml-pass\nport: 5432\n");
  });

  it("names an unknown provider and lists the known ones", async () => {
    const err = await failure(resolveSecretRef("ref+nope://x", { baseDir: dir }));
    expect(err.reason).toBe("unknown-provider");
    expect(err.message).toContain("ref+nope://x: unknown provider");
    // "counting" is registered by a test below (registration happens at module load).
    expect(err.message).toMatch(/\(known: awssecrets, (counting, )?env, file, gcpsecrets, sops, vault\)$/);
  });
});

describe("errors name the reference and the reason", () => {
  const sopsEnv = { GANTRY_SOPS_PGP_KEY: pgpKey };

  it("file missing", async () => {
    const err = await failure(
      resolveSecretRef("ref+sops://missing.enc.yaml#/a", { baseDir: dir, env: sopsEnv }),
    );
    expect(err.reason).toBe("not-found");
    expect(err.message).toMatch(
      /^ref\+sops:\/\/missing\.enc\.yaml#\/a: file missing\.enc\.yaml does not exist/,
    );
  });

  it("key missing", async () => {
    const err = await failure(
      resolveSecretRef("ref+sops://example.enc.yaml#/app2/db/nope", { baseDir: dir, env: sopsEnv }),
    );
    expect(err.reason).toBe("pointer");
    expect(err.message).toBe(
      'ref+sops://example.enc.yaml#/app2/db/nope: /app2/db/nope: key "nope" not found at /app2/db',
    );
  });

  it("no key to decrypt", async () => {
    // No in-process key, and a gpg that does not exist (so no keyring of this machine can help).
    const env = { SOPS_GPG_EXEC: path.join(dir, "no-such-gpg") };
    const err = await failure(resolveSecretRef("ref+sops://example.enc.yaml#/myapp1", { baseDir: dir, env }));
    expect(err.reason).toBe("no-key");
    expect(err.message).toContain("ref+sops://example.enc.yaml#/myapp1: no key to decrypt example.enc.yaml");
    expect(err.message).toContain("no-such-gpg is not installed, and no in-process key is set");
  });

  it("MAC mismatch", async () => {
    const original = readFileSync(path.join(fixtures, "example.enc.yaml"), "utf8");
    writeFileSync(
      path.join(dir, "changed.enc.yaml"),
      original.replace("remain in clear text", "remain in CLEAR text"),
    );
    const err = await failure(
      resolveSecretRef("ref+sops://changed.enc.yaml#/myapp1", { baseDir: dir, env: sopsEnv }),
    );
    expect(err.reason).toBe("mac-mismatch");
    expect(err.message).toContain("ref+sops://changed.enc.yaml#/myapp1: MAC mismatch in changed.enc.yaml");
  });
});

describe("a resolved secret value never appears in an error", () => {
  const secret = "s3cr3t-Value-42";
  const env = {
    PLAIN: secret,
    JSON_VALUE: JSON.stringify({ password: secret }),
    GANTRY_SOPS_PGP_KEY: pgpKey,
  };
  writeFileSync(path.join(dir, "broken.yaml"), `password: ${secret}\n  bad: [unclosed\n`);
  writeFileSync(path.join(dir, "broken.json"), `{"password": "${secret}",}`);
  const original = readFileSync(path.join(fixtures, "example.enc.yaml"), "utf8");
  // Two list items swapped: both still decrypt (list indices are not in the additional data), the MAC fails.
  const swapped = original.replace(
    /( {4}- ENC\[AES256_GCM,data:vyczE8EQr9qHkaM=[^\n]*\n)( {4}- ENC\[AES256_GCM,data:XtBinnYXR7bx1GY=[^\n]*\n)/,
    "$2$1",
  );
  expect(swapped).not.toBe(original);
  writeFileSync(path.join(dir, "swapped.enc.yaml"), swapped);
  const decryptedValues = [
    "t00m4nys3cr3tzupdated",
    "c4r1b0u",
    "secretuser1",
    "secretuser2",
    "with something secret",
  ];

  it.each([
    ["ref+env://PLAIN#/a", [secret]],
    ["ref+env://JSON_VALUE#/passwd", [secret]],
    ["ref+env://JSON_VALUE#/password/x", [secret]],
    ["ref+file://broken.yaml#/password", [secret]],
    ["ref+file://broken.json#/password", [secret]],
    ["ref+sops://swapped.enc.yaml#/myapp1", decryptedValues],
    ["ref+sops://example.enc.yaml#/app2/db/password/x", decryptedValues],
    ["ref+sops://example.enc.yaml#/app2/key/0", ["BEGIN RSA PRIVATE KEY", "MIIBPAIBAAJBAPTMNIyH"]],
  ])("%s", async (ref, values) => {
    const err = await failure(resolveSecretRef(ref, { baseDir: dir, env }));
    // Everything a log might print: message, stack, and inspect() (which includes the cause chain).
    for (const shown of [err.message, String(err.stack), inspect(err, { depth: 10 })]) {
      for (const value of values) expect(shown).not.toContain(value);
    }
  });
});

describe("resolveRefsDeep and the cache", () => {
  let calls = 0;
  const values: Record<string, string> = { one: '{"a": "A", "b": "B"}', two: "2" };
  const providers = new SecretProviders();
  providers.register({
    name: "counting",
    async resolve(ref): Promise<ProviderValue> {
      calls++;
      const value = values[ref.path];
      if (value === undefined) throw new Error(`no ${ref.path}`);
      return { value, format: "text" };
    },
  });

  it("replaces every reference in a copy, fetching each value once", async () => {
    calls = 0;
    const input = {
      secrets: { a: "ref+counting://one#/a", b: "ref+counting://one#/b" },
      env: ["ref+counting://two", "plain", 3, null],
      again: "ref+counting://one#/a",
    };
    const snapshot = structuredClone(input);
    const out = await resolveRefsDeep(input, { baseDir: dir, providers });
    expect(out).toEqual({ secrets: { a: "A", b: "B" }, env: ["2", "plain", 3, null], again: "A" });
    expect(calls).toBe(2);
    expect(input).toEqual(snapshot);
  });

  it("as: string turns maps into text", async () => {
    const out = await resolveRefsDeep(
      { whole: "ref+counting://one" },
      { baseDir: dir, providers, as: "string" },
    );
    expect(out).toEqual({ whole: '{"a": "A", "b": "B"}' });
    const sub = await resolveRefsDeep(
      { x: "ref+file://config.yaml#/db" },
      { baseDir: dir, providers, as: "string" },
    );
    expect(sub).toEqual({ x: "password: yaml-pass\nport: 5432\n" });
  });

  it("a run cache keeps values until the TTL passes, and does not keep failures", async () => {
    calls = 0;
    let now = 1000;
    const cache = createSecretCache(60_000, () => now);
    await resolveSecretRef("ref+counting://two", { baseDir: dir, providers, cache });
    await resolveSecretRef("ref+counting://two", { baseDir: dir, providers, cache });
    expect(calls).toBe(1);
    now += 60_001;
    await resolveSecretRef("ref+counting://two", { baseDir: dir, providers, cache });
    expect(calls).toBe(2);

    await failure(resolveSecretRef("ref+counting://three", { baseDir: dir, providers, cache }));
    values.three = "3";
    expect(await resolveSecretRef("ref+counting://three", { baseDir: dir, providers, cache })).toBe("3");
    expect(calls).toBe(4);
  });

  it("wraps unexpected provider errors with the reference", async () => {
    const err = await failure(
      resolveRefsDeep({ a: ["ref+counting://missing"] }, { baseDir: dir, providers }),
    );
    expect(err.reason).toBe("provider");
    expect(err.message).toBe("ref+counting://missing: no missing");
  });
});
