import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { armor, Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { createMessage, encrypt, generateKey, readKey } from "openpgp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretError } from "./errors.js";
import { resolveSecretRef } from "./resolve.js";
import { ageDataKey } from "./sops/keys/age.js";

// sops files built here, independently of the decryptor: values sealed with AES-256-GCM under their key path,
// the MAC computed over the plaintexts, the data key wrapped for an age recipient with age-encryption (or for a
// PGP key with openpgp).

const dir = mkdtempSync(path.join(tmpdir(), "gantry-sops-age-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const LASTMODIFIED = "2026-01-02T03:04:05Z";

function seal(key: Buffer, plain: string | Buffer, additionalData: string, type: string): string {
  const iv = randomBytes(32);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(additionalData));
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  const b64 = (b: Buffer) => b.toString("base64");
  return `ENC[AES256_GCM,data:${b64(data)},iv:${b64(iv)},tag:${b64(cipher.getAuthTag())},type:${type}]`;
}

/** sops' MAC: SHA-512 over the leaves' Go byte forms, upper-case hex, sealed with lastmodified as AAD. */
function mac(key: Buffer, leaves: string[], lastmodified = LASTMODIFIED): string {
  const hash = createHash("sha512");
  for (const leaf of leaves) hash.update(leaf);
  return seal(key, hash.digest("hex").toUpperCase(), lastmodified, "str");
}

async function wrapForAge(recipient: string, dataKey: Buffer): Promise<string> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  return armor.encode(await e.encrypt(dataKey));
}

const indent = (text: string, by: string) =>
  text
    .trimEnd()
    .split("\n")
    .map((l) => by + l)
    .join("\n");

let identity: string;
let recipient: string;
let dataKey: Buffer;
let ageBlock: string;

beforeAll(async () => {
  identity = await generateX25519Identity();
  recipient = await identityToRecipient(identity);
  dataKey = randomBytes(32);
  ageBlock = `    age:\n        - recipient: ${recipient}\n          enc: |\n${indent(await wrapForAge(recipient, dataKey), "            ")}\n`;
});

/** A YAML file with every value type, a list, an encrypted comment and an unencrypted key. */
function typedFile(opts: { macLeaves?: string[]; port?: string } = {}): string {
  const k = dataKey;
  const leaves = opts.macLeaves ?? ["admin", "5432", "0.5", "True", "a", "b", "visible"];
  return [
    `#${seal(k, " a comment", ":", "comment")}`,
    "db:",
    `    user: ${seal(k, "admin", "db:user:", "str")}`,
    `    port: ${seal(k, opts.port ?? "5432", "db:port:", "int")}`,
    `    ratio: ${seal(k, "0.5", "db:ratio:", "float")}`,
    `    enabled: ${seal(k, "true", "db:enabled:", "bool")}`,
    "tags:",
    `    - ${seal(k, "a", "tags:", "str")}`,
    `    - ${seal(k, "b", "tags:", "str")}`,
    "note_unencrypted: visible",
    "sops:",
    ageBlock.trimEnd(),
    `    lastmodified: "${LASTMODIFIED}"`,
    `    mac: ${mac(k, leaves)}`,
    "    unencrypted_suffix: _unencrypted",
    "    version: 3.9.0",
    "",
  ].join("\n");
}

const write = (name: string, text: string) => writeFileSync(path.join(dir, name), text);
const get = (ref: string, env: NodeJS.ProcessEnv) => resolveSecretRef(ref, { baseDir: dir, env });

async function refused(ref: string, env: NodeJS.ProcessEnv): Promise<SecretError> {
  try {
    await get(ref, env);
  } catch (err) {
    expect(err).toBeInstanceOf(SecretError);
    return err as SecretError;
  }
  throw new Error(`${ref} resolved`);
}

describe("age: the test vector made by the age tool", () => {
  it("decrypts to the 4 bytes 'data' with its identity, through the sops age key path", async () => {
    const text = readFileSync(
      fileURLToPath(new URL("./testdata/sops/age-vector.txt", import.meta.url)),
      "utf8",
    );
    const vectorIdentity = text.match(/AGE-SECRET-KEY-1[0-9A-Z]+/)![0];
    const enc = text.match(/-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*-----END AGE ENCRYPTED FILE-----/)![0];
    const d = new Decrypter();
    d.addIdentity(vectorIdentity);
    expect(await d.decrypt(armor.decode(enc), "text")).toBe("data");
    const attempt = await ageDataKey([{ recipient: "age1lzd99u...", enc }], { SOPS_AGE_KEY: vectorIdentity });
    expect(attempt).toEqual({ key: Buffer.from("data") });
  });
});

describe("age: a sops file built for an age recipient, end to end", () => {
  it("decrypts every type with the identity in SOPS_AGE_KEY", async () => {
    write("typed.enc.yaml", typedFile());
    expect(await get("ref+sops://typed.enc.yaml", { SOPS_AGE_KEY: identity })).toEqual({
      db: { user: "admin", port: 5432, ratio: 0.5, enabled: true },
      tags: ["a", "b"],
      note_unencrypted: "visible",
    });
    const text = await resolveSecretRef("ref+sops://typed.enc.yaml", {
      baseDir: dir,
      env: { SOPS_AGE_KEY: identity },
      as: "string",
    });
    expect(text.startsWith("# a comment\ndb:\n")).toBe(true);
  });

  it("reads identities from SOPS_AGE_KEY_FILE, skipping comments as age-keygen writes them", async () => {
    const keys = path.join(dir, "keys.txt");
    writeFileSync(keys, `# created: 2026-01-01T00:00:00Z\n# public key: ${recipient}\n${identity}\n`);
    expect(await get("ref+sops://typed.enc.yaml#/db/user", { SOPS_AGE_KEY_FILE: keys })).toBe("admin");
  });

  it("reads the default keys file under XDG_CONFIG_HOME, as sops does", async () => {
    const config = path.join(dir, "config");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(path.join(config, "sops", "age"), { recursive: true });
    writeFileSync(path.join(config, "sops", "age", "keys.txt"), `${identity}\n`);
    expect(await get("ref+sops://typed.enc.yaml#/db/port", { XDG_CONFIG_HOME: config })).toBe(5432);
  });

  it("says there is no key when no identity is configured, or the wrong one", async () => {
    const none = await refused("ref+sops://typed.enc.yaml#/db/user", {});
    expect(none.reason).toBe("no-key");
    expect(none.message).toContain("no key to decrypt typed.enc.yaml: age: no identity (set SOPS_AGE_KEY");
    const other = await generateX25519Identity();
    const wrong = await refused("ref+sops://typed.enc.yaml#/db/user", { SOPS_AGE_KEY: other });
    expect(wrong.reason).toBe("no-key");
    expect(wrong.message).toContain(recipient);
    expect(wrong.message).not.toContain(other);
  });

  it("refuses a correctly sealed MAC over different values", async () => {
    write("badmac.enc.yaml", typedFile({ macLeaves: ["admin", "5432", "0.5", "true", "a", "b", "visible"] }));
    const err = await refused("ref+sops://badmac.enc.yaml#/db/user", { SOPS_AGE_KEY: identity });
    expect(err.reason).toBe("mac-mismatch");
    expect(err.message).toContain("MAC mismatch in badmac.enc.yaml: the values do not match the stored MAC");
  });

  it("hashes ints as Go's Itoa does (+5432 decrypts to 5432 and hashes as 5432)", async () => {
    write("plusint.enc.yaml", typedFile({ port: "+5432" }));
    expect(await get("ref+sops://plusint.enc.yaml#/db/port", { SOPS_AGE_KEY: identity })).toBe(5432);
  });

  it("reports a value whose plaintext does not parse as its type, without the plaintext", async () => {
    write("badint.enc.yaml", typedFile({ port: "54x32", macLeaves: [] }));
    const err = await refused("ref+sops://badint.enc.yaml#/db/user", { SOPS_AGE_KEY: identity });
    expect(err.reason).toBe("format");
    expect(err.message).toContain("the value at db:port: an int value does not parse as an integer");
    expect(err.message).not.toContain("54x32");
  });
});

describe("encryption rules and other formats (built files)", () => {
  const metadata = (extra: string, leaves: string[]) =>
    [
      "sops:",
      ageBlock.trimEnd(),
      `    lastmodified: "${LASTMODIFIED}"`,
      `    mac: ${mac(dataKey, leaves)}`,
      extra,
    ]
      .filter(Boolean)
      .join("\n");

  it("encrypted_regex: only matching keys are encrypted; the MAC covers all leaves", async () => {
    write(
      "regex.enc.yaml",
      [
        "user: alice",
        `password: ${seal(dataKey, "pw", "password:", "str")}`,
        metadata("    encrypted_regex: ^password$", ["alice", "pw"]),
        "",
      ].join("\n"),
    );
    expect(await get("ref+sops://regex.enc.yaml", { SOPS_AGE_KEY: identity })).toEqual({
      user: "alice",
      password: "pw",
    });
  });

  it.each([
    ["encrypted_suffix: _secret", "password_secret", "user"],
    ["unencrypted_regex: ^pub", "password", "public_user"],
  ])("%s", async (rule, secretKey, plainKey) => {
    const name = `${secretKey}.enc.yaml`;
    write(
      name,
      [
        `${plainKey}: alice`,
        `${secretKey}: ${seal(dataKey, "pw", `${secretKey}:`, "str")}`,
        metadata(`    ${rule}`, ["alice", "pw"]),
        "",
      ].join("\n"),
    );
    expect(await get(`ref+sops://${name}`, { SOPS_AGE_KEY: identity })).toEqual({
      [plainKey]: "alice",
      [secretKey]: "pw",
    });
  });

  it("mac_only_encrypted: unencrypted leaves are outside the MAC", async () => {
    const text = (user: string) =>
      [
        `user_unencrypted: ${user}`,
        `password: ${seal(dataKey, "pw", "password:", "str")}`,
        metadata("    unencrypted_suffix: _unencrypted\n    mac_only_encrypted: true", ["pw"]),
        "",
      ].join("\n");
    write("maconly.enc.yaml", text("alice"));
    expect(await get("ref+sops://maconly.enc.yaml#/user_unencrypted", { SOPS_AGE_KEY: identity })).toBe(
      "alice",
    );
    write("maconly2.enc.yaml", text("mallory"));
    expect(await get("ref+sops://maconly2.enc.yaml#/user_unencrypted", { SOPS_AGE_KEY: identity })).toBe(
      "mallory",
    );
  });

  it("binary files come back as their bytes", async () => {
    // Not valid UTF-8: the MAC must hash the raw bytes, and the value must come back byte for byte.
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10]);
    const hash = createHash("sha512").update(bytes).digest("hex").toUpperCase();
    const file = {
      data: seal(dataKey, bytes, "data:", "str"),
      sops: {
        age: [{ recipient, enc: await wrapForAge(recipient, dataKey) }],
        lastmodified: LASTMODIFIED,
        mac: seal(dataKey, hash, LASTMODIFIED, "str"),
        unencrypted_suffix: "_unencrypted",
        version: "3.9.0",
      },
    };
    write("blob.bin", JSON.stringify(file));
    const value = await get("ref+sops://blob.bin", { SOPS_AGE_KEY: identity });
    expect(Buffer.isBuffer(value)).toBe(true);
    expect(Buffer.compare(value as Buffer, bytes)).toBe(0);
  });

  it("?format= overrides the extension", async () => {
    write("typed.secret", typedFile());
    expect(await get("ref+sops://typed.secret?format=yaml#/db/user", { SOPS_AGE_KEY: identity })).toBe(
      "admin",
    );
    const err = await refused("ref+sops://typed.secret?format=toml", { SOPS_AGE_KEY: identity });
    expect(err.message).toContain('unknown sops format "toml"');
  });
});

describe("PGP in-process: key file and passphrase (built file)", () => {
  it("reads GANTRY_SOPS_PGP_KEY_FILE and unlocks the key with GANTRY_SOPS_PGP_PASSPHRASE", async () => {
    const { privateKey, publicKey } = await generateKey({
      type: "ecc",
      curve: "curve25519Legacy",
      userIDs: [{ name: "gantry test" }],
      passphrase: "open sesame",
    });
    const pub = await readKey({ armoredKey: publicKey });
    const enc = await encrypt({ message: await createMessage({ binary: dataKey }), encryptionKeys: pub });
    const fp = pub.getFingerprint().toUpperCase();
    const text = [
      `password: ${seal(dataKey, "pgp-pw", "password:", "str")}`,
      "sops:",
      `    lastmodified: "${LASTMODIFIED}"`,
      `    mac: ${mac(dataKey, ["pgp-pw"])}`,
      "    pgp:",
      `        - fp: ${fp}`,
      "          enc: |",
      indent(enc, "            "),
      "    unencrypted_suffix: _unencrypted",
      "",
    ].join("\n");
    write("pgp.enc.yaml", text);
    const keyFile = path.join(dir, "private.asc");
    writeFileSync(keyFile, privateKey);
    const env = { GANTRY_SOPS_PGP_KEY_FILE: keyFile, GANTRY_SOPS_PGP_PASSPHRASE: "open sesame" };
    expect(await get("ref+sops://pgp.enc.yaml#/password", env)).toBe("pgp-pw");

    const locked = await refused("ref+sops://pgp.enc.yaml#/password", { GANTRY_SOPS_PGP_KEY_FILE: keyFile });
    expect(locked.reason).toBe("no-key");
    expect(locked.message).toContain("is locked; set GANTRY_SOPS_PGP_PASSPHRASE");
    const wrong = await refused("ref+sops://pgp.enc.yaml#/password", {
      ...env,
      GANTRY_SOPS_PGP_PASSPHRASE: "nope",
    });
    expect(wrong.message).toContain("GANTRY_SOPS_PGP_PASSPHRASE does not unlock key");
    expect(wrong.message).not.toContain("nope");
    const missing = await refused("ref+sops://pgp.enc.yaml#/password", {
      GANTRY_SOPS_PGP_KEY_FILE: path.join(dir, "nope.asc"),
    });
    expect(missing.message).toContain("cannot read GANTRY_SOPS_PGP_KEY_FILE");
  });
});
