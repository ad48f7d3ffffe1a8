import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { SecretError } from "./errors.js";
import { resolveSecretRef } from "./resolve.js";

// Tampered copies of files sops made. Every change must be refused with "MAC mismatch" naming the file.
const fixtures = fileURLToPath(new URL("./testdata/sops/", import.meta.url));
const read = (name: string) => readFileSync(path.join(fixtures, name), "utf8");
const env = { GANTRY_SOPS_PGP_KEY: read("pgp-test-key.asc") };
const dir = mkdtempSync(path.join(tmpdir(), "gantry-sops-tamper-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const yaml = read("example.enc.yaml");
const line = (text: string, start: string) => text.split("\n").find((l) => l.includes(start))!;
const userLine = line(yaml, "user: ENC[");
const passwordLine = line(yaml, "password: ENC[");
const firstItem = line(yaml, "data:vyczE8EQr9qHkaM=");
const secondItem = line(yaml, "data:XtBinnYXR7bx1GY=");
const macLine = line(yaml, "mac: ENC[");

/** Applies an edit, checks that it changed the file, and returns the tampered text. */
function edit(text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, to);
  expect(out).not.toBe(text);
  return out;
}

async function refused(name: string, text: string, ref = "#/myapp1"): Promise<SecretError> {
  writeFileSync(path.join(dir, name), text);
  try {
    await resolveSecretRef(`ref+sops://${name}${ref}`, { baseDir: dir, env });
  } catch (err) {
    expect(err).toBeInstanceOf(SecretError);
    expect((err as SecretError).reason).toBe("mac-mismatch");
    expect((err as SecretError).message).toContain(`MAC mismatch in ${name}`);
    return err as SecretError;
  }
  throw new Error(`${name} was accepted`);
}

describe("tampered sops files are refused", () => {
  it("the untampered file decrypts (the edits below are what breaks them)", async () => {
    writeFileSync(path.join(dir, "original.enc.yaml"), yaml);
    expect(await resolveSecretRef("ref+sops://original.enc.yaml#/myapp1", { baseDir: dir, env })).toBe(
      "t00m4nys3cr3tzupdated",
    );
  });

  describe("a changed value", () => {
    it("ciphertext changed", async () => {
      const err = await refused("cipher.enc.yaml", edit(yaml, "data:tQ1l,", "data:tQ1m,"));
      expect(err.message).toContain("the value at app2:db:user does not authenticate");
    });

    it("encrypted values moved between keys (the key path is the additional data)", async () => {
      const swapped = edit(
        yaml,
        `${userLine}\n${passwordLine}`,
        `${userLine.replace(/ENC\[.*/, "")}${passwordLine.split(": ")[1]}\n${passwordLine.replace(/ENC\[.*/, "")}${userLine.split(": ")[1]}`,
      );
      await refused("moved.enc.yaml", swapped);
    });

    it("two list items swapped (each still decrypts: indices are not in the additional data)", async () => {
      const err = await refused(
        "swapped.enc.yaml",
        edit(yaml, `${firstItem}\n${secondItem}`, `${secondItem}\n${firstItem}`),
      );
      expect(err.message).toContain("do not match the stored MAC");
    });

    it("an unencrypted value changed (the MAC covers it)", async () => {
      await refused("plain.enc.yaml", edit(yaml, "remain in clear text", "remain in clear text!"));
    });

    it("an encrypted value replaced by plain text", async () => {
      const err = await refused("plaintext.enc.yaml", edit(yaml, /myapp1: ENC\[[^\n]*/, "myapp1: hello"));
      expect(err.message).toContain("the value at myapp1 should be encrypted but is not");
    });
  });

  describe("an added value", () => {
    it("a list item duplicated", async () => {
      await refused("added-item.enc.yaml", edit(yaml, firstItem, `${firstItem}\n${firstItem}`));
    });

    it("an unencrypted key added", async () => {
      await refused("added-key.enc.yaml", edit(yaml, "sops:\n", "extra_unencrypted: sneaky\nsops:\n"));
    });
  });

  describe("a removed value", () => {
    it("a top-level key removed", async () => {
      await refused("removed-key.enc.yaml", edit(yaml, /myapp1: [^\n]*\n/, ""), "#/app2/db/user");
    });

    it("a list item removed", async () => {
      await refused("removed-item.enc.yaml", edit(yaml, `${secondItem}\n`, ""));
    });
  });

  describe("a changed MAC", () => {
    it("its ciphertext changed", async () => {
      const changed = macLine.replace("data:GCWOy", "data:HCWOy");
      const err = await refused("mac.enc.yaml", edit(yaml, macLine, changed));
      expect(err.message).toContain("the stored MAC does not authenticate");
    });

    it("lastmodified changed (it is the MAC's additional data)", async () => {
      await refused("lastmodified.enc.yaml", edit(yaml, '"2025-08-06T18:55:05Z"', '"2025-08-06T18:55:06Z"'));
    });

    it("the MAC taken from another file with the same key", async () => {
      const other = line(read("example.enc.json"), '"mac"').match(/ENC\[[^\]]*\]/)![0];
      await refused("othermac.enc.yaml", edit(yaml, macLine, `    mac: ${other}`));
    });

    it("the MAC removed", async () => {
      await refused("nomac.enc.yaml", edit(yaml, `${macLine}\n`, ""));
    });
  });

  it("JSON: a list element's value changed to another valid ciphertext of the same path", async () => {
    const json = read("example.enc.json");
    const numbers = [...json.matchAll(/"number": "(ENC\[[^"]*)"/g)].map((m) => m[1]!);
    const swapped = json
      .replace(numbers[0]!, "@@")
      .replace(numbers[1]!, numbers[0]!)
      .replace("@@", numbers[1]!);
    await refused("swapped.enc.json", swapped, "#/firstName");
  });

  it("JSON: the empty value made non-empty", async () => {
    await refused(
      "empty.enc.json",
      edit(read("example.enc.json"), '"anEmptyValue": ""', '"anEmptyValue": "x"'),
      "",
    );
  });

  it("dotenv: a value added", async () => {
    await refused("added.enc.env", `${read("format.enc.env")}extra_unencrypted=1\n`, "");
  });

  it("INI: an unencrypted value changed", async () => {
    await refused("changed.enc.ini", edit(read("example.enc.ini"), "hi there!", "hi there?"), "");
  });

  it("INI: a section removed", async () => {
    await refused("removed.enc.ini", edit(read("example.enc.ini"), /\[not private\]\n[^\n]*\n/, ""), "");
  });
});
