import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { tempDir } from "../testing/temp-dir.js";
import { SecretBox, shortFingerprint } from "./secret-box.js";

describe("SecretBox", () => {
  it("seals with the ring's first key and names it; opens with any key of the ring", () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const sealedA = new SecretBox(a).seal("one");
    const ring = new SecretBox([b, a]);
    const sealedB = ring.seal("two");
    expect(sealedB.startsWith(`v2.${ring.fingerprint.slice(0, 16)}.`)).toBe(true);
    expect(ring.open(sealedA)).toBe("one");
    expect(ring.open(sealedB)).toBe("two");
    expect(ring.sealedWithCurrentKey(sealedB)).toBe(true);
    expect(ring.sealedWithCurrentKey(sealedA)).toBe(false);
    expect(() => new SecretBox(a).open(sealedB)).toThrow(
      `sealed with key ${shortFingerprint(ring.fingerprint)}, and this process holds ${shortFingerprint(new SecretBox(a).fingerprint)}`,
    );
  });

  it("refuses a value that was altered", () => {
    const box = new SecretBox(randomBytes(32));
    const parts = box.seal("payload").split(".");
    parts[4] = Buffer.from("tampered").toString("base64url");
    expect(() => box.open(parts.join("."))).toThrow("it was altered");
  });

  it("parses a comma-separated ring and says what is wrong with a bad key, never echoing it", () => {
    const [a, b] = [randomBytes(32).toString("base64"), randomBytes(32).toString("base64")];
    expect(SecretBox.parse(`${a}, ${b}`).fingerprints).toHaveLength(2);
    const short = randomBytes(16).toString("base64");
    expect(() => SecretBox.parse(`${a},${short}`)).toThrow(
      /GANTRY_ENCRYPTION_KEY: key 2 is not base64 of 32 bytes \(it decodes to 16\); make one with `openssl rand -base64 32`/,
    );
    expect(() => SecretBox.parse(`${a},${short}`)).not.toThrow(short);
    expect(() => SecretBox.parse(" , ")).toThrow("GANTRY_ENCRYPTION_KEY is empty");
  });

  it("generates a key into the data folder for one process, but requires a configured one when told", () => {
    const dir = tempDir("gantry-box-");
    try {
      const first = SecretBox.fromConfig(undefined, dir.dir);
      expect(SecretBox.fromConfig(undefined, dir.dir).fingerprint).toBe(first.fingerprint);
      expect(() => SecretBox.fromConfig(undefined, dir.dir, { required: true })).toThrow(
        /GANTRY_ENCRYPTION_KEY is not set\. .*openssl rand -base64 32/,
      );
    } finally {
      dir.cleanup();
    }
  });
});
