import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretError } from "./errors.js";
import { resolveSecretRef } from "./resolve.js";

// The gpg fallback, as sops decrypts by default: no in-process key, the gpg CLI with a GNUPGHOME. The test key
// goes into a throwaway home. If gpg is missing, beforeAll throws and every test here fails: it never skips.
const fixtures = fileURLToPath(new URL("./testdata/sops/", import.meta.url));
const homes: string[] = [];
let withKeys: NodeJS.ProcessEnv;
let empty: NodeJS.ProcessEnv;

function gnupgHome(): NodeJS.ProcessEnv {
  const home = mkdtempSync(path.join(tmpdir(), "gantry-gnupg-"));
  homes.push(home);
  return { PATH: process.env.PATH, GNUPGHOME: home };
}

beforeAll(() => {
  withKeys = gnupgHome();
  execFileSync("gpg", ["--batch", "--quiet", "--import", path.join(fixtures, "pgp-test-key.asc")], {
    env: withKeys,
    stdio: "pipe",
  });
  empty = gnupgHome();
});

afterAll(() => {
  // gpg started an agent per home; stop exactly those agents before removing their homes.
  for (const home of homes) {
    execFileSync("gpgconf", ["--kill", "all"], {
      env: { PATH: process.env.PATH, GNUPGHOME: home },
      stdio: "pipe",
    });
    // The agent may still write its last files while it exits (ENOTEMPTY): retry until it is done.
    rmSync(home, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  }
});

describe("sops PGP through the gpg CLI (fallback when no in-process key is set)", () => {
  it("decrypts YAML, JSON, dotenv and INI files sops made", async () => {
    const get = (ref: string) => resolveSecretRef(ref, { baseDir: fixtures, env: withKeys });
    expect(await get("ref+sops://format.enc.yaml#/foo")).toBe("bar");
    expect(await get("ref+sops://example.enc.json#/address/city")).toBe("New York");
    expect(await get("ref+sops://format.enc.env")).toEqual({ "foo ": " bar" });
    expect(await get("ref+sops://example.enc.ini#/phoneNumbers/home")).toBe("212 555-1234");
  });

  it("says no key when the GnuPG home has no secret key, with gpg's reason", async () => {
    let error: unknown;
    try {
      await resolveSecretRef("ref+sops://format.enc.yaml#/foo", { baseDir: fixtures, env: empty });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SecretError);
    expect((error as SecretError).reason).toBe("no-key");
    expect((error as SecretError).message).toContain("no key to decrypt format.enc.yaml: pgp (gpg):");
    expect((error as SecretError).message).toContain("FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4");
    expect((error as SecretError).message).toMatch(/[Nn]o secret key/);
  });
});
