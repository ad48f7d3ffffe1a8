import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decryptSopsFile } from "./index.js";
import { resolveSecretRef } from "./resolve.js";

// Copies of ../shared/fixtures/sops: files made by sops itself (3.5 to 3.13) for its public functional-test
// key. Decrypting them shows compatibility with sops, not with our own reading of it.
const dir = fileURLToPath(new URL("./testdata/sops/", import.meta.url));
const pgpKey = readFileSync(path.join(dir, "pgp-test-key.asc"), "utf8");
// Only the in-process key: no HOME, no GNUPGHOME, so neither ~/.config/sops/age nor gpg can help.
const env = { GANTRY_SOPS_PGP_KEY: pgpKey };
const opts = { baseDir: dir, env };
const get = (ref: string) => resolveSecretRef(ref, opts);

describe("sops fixtures made by sops, PGP key in-process", () => {
  it("format.enc.yaml (sops 3.13)", async () => {
    expect(await get("ref+sops://format.enc.yaml#/foo")).toBe("bar");
    expect(await get("ref+sops://format.enc.yaml")).toEqual({ foo: "bar" });
  });

  it("format.enc.json (sops 3.13)", async () => {
    expect(await get("ref+sops://format.enc.json#/foo")).toBe("bar");
  });

  it("format.enc.env: split at the first =, nothing trimmed, as sops' dotenv store does", async () => {
    // The line was `foo = bar`: the key is "foo " and the value " bar". The ciphertext is 4 bytes and the MAC
    // covers them, so the leading space is sops' plaintext, not ours to trim.
    expect(await get("ref+sops://format.enc.env")).toEqual({ "foo ": " bar" });
    expect(await get("ref+sops://format.enc.env#/foo%20")).toBe(" bar");
    expect(await resolveSecretRef("ref+sops://format.enc.env", { ...opts, as: "string" })).toBe(
      "foo = bar\n",
    );
  });

  it("format.enc.ini: section foo, key bar, MAC verified", async () => {
    // Not checked by the fixture authors; this decryptor verifies its MAC like every other file's.
    expect(await get("ref+sops://format.enc.ini")).toEqual({ foo: { bar: "baz" } });
  });

  it("comments.enc.yaml: values and encrypted comments", async () => {
    expect(await get("ref+sops://comments.enc.yaml")).toEqual({ lorem: "ipsum", dolor: "sit" });
    const text = await resolveSecretRef("ref+sops://comments.enc.yaml", { ...opts, as: "string" });
    expect(text).toBe("# first comment in file\nlorem: ipsum\n# this-is-a-comment\ndolor: sit\n");
  });

  it("example.enc.yaml (sops 3.5, two recipients)", async () => {
    const doc = (await get("ref+sops://example.enc.yaml")) as Record<string, unknown>;
    expect(doc.myapp1).toBe("t00m4nys3cr3tzupdated");
    expect(doc.app2).toMatchObject({ db: { user: "eve", password: "c4r1b0u" } });
    const key = await get("ref+sops://example.enc.yaml#/app2/key");
    expect(key).toMatch(
      /^-----BEGIN RSA PRIVATE KEY-----\nMIIBPAIBAAJBAPTMNIyH[\s\S]+\n-----END RSA PRIVATE KEY-----\n$/,
    );
    expect((key as string).split("\n").length).toBeGreaterThan(5);
    expect(doc.number).toBe(1234568000);
    expect((doc.an_array as unknown[])[0]).toBe("secretuser1");
    expect(doc.somebooleans).toEqual([true, false]);
    expect(await get("ref+sops://example.enc.yaml#/this/is/a/nested/value")).toBe(
      "with something secret in it",
    );
    expect(doc.somelist_unencrypted).toEqual([
      "all elements of this list",
      "remain in clear text",
      "because of the _unencrypted suffix in the key",
    ]);
    expect(doc.nested_unencrypted).toEqual({ this: { is: { all: "going to remain in clear text" } } });
    expect(doc).not.toHaveProperty("sops");
    const text = await resolveSecretRef("ref+sops://example.enc.yaml", { ...opts, as: "string" });
    expect(text).toContain("# private key for secret operations in app2");
    expect(text).toContain("# by adding the `_unencrypted` suffix");
  });

  it("example.enc.json: types come back, the empty value stays empty", async () => {
    const doc = await get("ref+sops://example.enc.json");
    expect(doc).toMatchObject({
      firstName: "John",
      lastName: "Smith",
      age: 25.4,
      address: { city: "New York", postalCode: "10021-3100", state: "NY", streetAddress: "21 2nd Street" },
      anEmptyValue: "",
    });
    expect(await get("ref+sops://example.enc.json#/phoneNumbers/1/number")).toBe("646 555-4567");
    const text = await resolveSecretRef("ref+sops://example.enc.json", { ...opts, as: "string" });
    expect(JSON.parse(text)).toEqual(doc);
  });

  it("example.enc.ini: every section, section comment decrypted, MAC verified", async () => {
    expect(await get("ref+sops://example.enc.ini")).toEqual({
      name: { firstName: "John", lastName: "Smith", age: "25.4" },
      address: { city: "New York", postalCode: "10021-3100", state: "NY", streetAddress: "21 2nd Street" },
      phoneNumbers: { home: "212 555-1234", office: "646 555-4567" },
      "not private": { notsecret_unencrypted: "hi there!" },
    });
    const text = await resolveSecretRef("ref+sops://example.enc.ini", { ...opts, as: "string" });
    expect(
      text.startsWith("; An example file for use with sops!\n[name]\nfirstName = John\nlastName = Smith\n"),
    ).toBe(true);
  });

  it("decryptSopsFile returns the document, its format and its decrypted text", async () => {
    const out = await decryptSopsFile(path.join(dir, "format.enc.yaml"), { env });
    expect(out).toEqual({ value: { foo: "bar" }, format: "yaml", text: "foo: bar\n" });
  });

  it("the second recipient's key alone decrypts example.enc.yaml too", async () => {
    // Only "SOPS Functional Tests Key 2" (rsa1024, D722...): proves the recipients are tried in turn.
    const second = pgpKey.match(
      /-----BEGIN PGP PRIVATE KEY BLOCK-----[\s\S]*?-----END PGP PRIVATE KEY BLOCK-----/g,
    )![1]!;
    const value = await resolveSecretRef("ref+sops://example.enc.yaml#/app2/db/user", {
      baseDir: dir,
      env: { GANTRY_SOPS_PGP_KEY: second },
    });
    expect(value).toBe("eve");
  });
});
