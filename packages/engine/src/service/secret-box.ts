import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const KEY_BYTES = 32;
const IV_BYTES = 12;
/** Hex characters of a key's fingerprint written into each sealed value: 64 bits, enough to tell keys apart. */
const KEY_ID_CHARS = 16;

/** How to make a key, for every message that asks for one. */
export const MAKE_KEY_HINT =
  "make one with `openssl rand -base64 32` (or `node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"`)";

/** A key's fingerprint: SHA-256 of a fixed label and the key, in hex. It says nothing about the key. */
export function keyFingerprint(key: Buffer): string {
  return createHash("sha256").update("gantry-encryption-key\0").update(key).digest("hex");
}

/** How a fingerprint is shown to people: its first characters, as in sealed values. */
export function shortFingerprint(fingerprint: string): string {
  return `sha256:${fingerprint.slice(0, KEY_ID_CHARS)}`;
}

/**
 * AES-256-GCM for values the store must keep but never show: secret-typed inputs of a run.
 *
 * A box holds a key ring: the first key seals, every key opens. Sealed values name the key that sealed
 * them (`v2.<key id>.<iv>.<tag>.<ciphertext>`), so a ring of old and new keys opens both during a key
 * rotation (see encryption-keys.ts). Values from before key ids (`v1.…`) are opened by trying each key.
 */
export class SecretBox {
  private readonly keys: Array<{ key: Buffer; fingerprint: string; id: string }>;

  constructor(keys: Buffer | Buffer[]) {
    const ring = Array.isArray(keys) ? keys : [keys];
    if (ring.length === 0) throw new Error("no encryption key");
    this.keys = ring.map((key, i) => {
      if (key.length !== KEY_BYTES)
        throw new Error(
          `encryption key ${i + 1} must be ${KEY_BYTES} bytes (base64 of ${KEY_BYTES} random bytes), got ${key.length}`,
        );
      const fingerprint = keyFingerprint(key);
      return { key, fingerprint, id: fingerprint.slice(0, KEY_ID_CHARS) };
    });
  }

  /** The sealing key's fingerprint. */
  get fingerprint(): string {
    return (this.keys[0] as { fingerprint: string }).fingerprint;
  }

  /** Every key's fingerprint, the sealing key's first. */
  get fingerprints(): string[] {
    return this.keys.map((k) => k.fingerprint);
  }

  seal(plaintext: string): string {
    const { key, id } = this.keys[0] as { key: Buffer; id: string };
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return ["v2", id, ...[iv, cipher.getAuthTag(), data].map((p) => p.toString("base64url"))].join(".");
  }

  open(sealed: string): string {
    const parts = sealed.split(".");
    if (parts[0] === "v2" && parts.length === 5) {
      const [, id, iv, tag, data] = parts as [string, string, string, string, string];
      const entry = this.keys.find((k) => k.id === id);
      if (!entry)
        throw new Error(
          `cannot decrypt a stored secret: it was sealed with key sha256:${id}, and this process holds ${this.keyList()}`,
        );
      const opened = decrypt(entry.key, iv, tag, data);
      if (opened === undefined) throw new Error("cannot decrypt a stored secret: it was altered");
      return opened;
    }
    if (parts[0] === "v1" && parts.length === 4) {
      const [, iv, tag, data] = parts as [string, string, string, string];
      for (const { key } of this.keys) {
        const opened = decrypt(key, iv, tag, data);
        if (opened !== undefined) return opened;
      }
      throw new Error(
        `cannot decrypt a stored secret: none of this process's keys (${this.keyList()}) is the one it was stored with`,
      );
    }
    throw new Error("not a sealed value");
  }

  /** Whether `sealed` was sealed with this box's sealing key (a rotation re-seals the others). */
  sealedWithCurrentKey(sealed: string): boolean {
    return sealed.startsWith(`v2.${(this.keys[0] as { id: string }).id}.`);
  }

  private keyList(): string {
    return this.keys.map((k) => `sha256:${k.id}`).join(", ");
  }

  /**
   * A key ring from configuration: base64 keys of 32 bytes, separated by commas, the sealing key first.
   * `where` names the setting in error messages.
   */
  static parse(text: string, where = "GANTRY_ENCRYPTION_KEY"): SecretBox {
    const keys = text
      .split(",")
      .map((k) => k.trim())
      .filter(Boolean);
    if (keys.length === 0) throw new Error(`${where} is empty: ${MAKE_KEY_HINT}`);
    return new SecretBox(
      keys.map((k, i) => {
        const key = Buffer.from(k, "base64");
        if (!/^[A-Za-z0-9+/]+={0,2}$/.test(k) || key.length !== KEY_BYTES)
          throw new Error(
            `${where}: key ${i + 1} is not base64 of ${KEY_BYTES} bytes (it decodes to ${key.length}); ${MAKE_KEY_HINT}`,
          );
        return key;
      }),
    );
  }

  /**
   * The key ring from configuration, or the one generated into the data folder on first start (mode
   * 0600) for a single process (`gantry up`). With `required`, no configured key is an error: separate
   * servers and workers must share one.
   */
  static fromConfig(
    configured: string | undefined,
    dataDir: string | undefined,
    options: { required?: boolean } = {},
  ): SecretBox {
    if (configured) return SecretBox.parse(configured);
    if (options.required || !dataDir)
      throw new Error(
        "GANTRY_ENCRYPTION_KEY is not set. Servers and workers on PostgreSQL seal secret run inputs with " +
          `one key that every one of them must share: ${MAKE_KEY_HINT}, and give the same value to each as ` +
          "GANTRY_ENCRYPTION_KEY (or encryption_key: in gantry.yaml, which may be a ref+file:// or other reference)",
      );
    const file = path.join(dataDir, "encryption.key");
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(file, randomBytes(KEY_BYTES).toString("base64"), { mode: 0o600, flag: "wx" });
    }
    return SecretBox.parse(readFileSync(file, "utf8").trim(), file);
  }
}

function decrypt(key: Buffer, iv: string, tag: string, data: string): string | undefined {
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  try {
    return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString(
      "utf8",
    );
  } catch {
    return undefined;
  }
}
