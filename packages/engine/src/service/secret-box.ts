import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const KEY_BYTES = 32;
const IV_BYTES = 12;

/** AES-256-GCM for values the store must keep but never show: secret-typed inputs of a run. */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== KEY_BYTES)
      throw new Error(`the encryption key must be ${KEY_BYTES} bytes, got ${key.length}`);
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url. */
  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return ["v1", iv, cipher.getAuthTag(), data]
      .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
      .join(".");
  }

  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split(".");
    if (version !== "v1" || !iv || !tag || data === undefined) throw new Error("not a sealed value");
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString(
        "utf8",
      );
    } catch {
      throw new Error(
        "cannot decrypt a stored secret: the encryption key differs from the one it was stored with",
      );
    }
  }

  /**
   * The key from configuration (base64 of 32 bytes), or the one generated into the data folder on first
   * start (mode 0600). Several servers on Postgres must share a configured key.
   */
  static fromConfig(configured: string | undefined, dataDir: string | undefined): SecretBox {
    if (configured) return new SecretBox(Buffer.from(configured, "base64"));
    if (!dataDir) throw new Error("no encryption key: set GANTRY_ENCRYPTION_KEY (base64 of 32 random bytes)");
    const file = path.join(dataDir, "encryption.key");
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(file, randomBytes(KEY_BYTES).toString("base64"), { mode: 0o600, flag: "wx" });
    }
    return new SecretBox(Buffer.from(readFileSync(file, "utf8").trim(), "base64"));
  }
}
