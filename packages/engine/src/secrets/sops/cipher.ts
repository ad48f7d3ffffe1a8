import { createDecipheriv } from "node:crypto";
import type { SopsLeaf } from "./types.js";

/** One `ENC[AES256_GCM,data:..,iv:..,tag:..,type:..]` value. */
export interface EncryptedValue {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

const ENC =
  /^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:([A-Za-z0-9+/=]+),tag:([A-Za-z0-9+/=]+),type:([a-z]+)\]$/;

export function parseEncrypted(text: string): EncryptedValue | undefined {
  const m = ENC.exec(text);
  if (!m) return undefined;
  return {
    data: Buffer.from(m[1]!, "base64"),
    iv: Buffer.from(m[2]!, "base64"),
    tag: Buffer.from(m[3]!, "base64"),
    type: m[4]!,
  };
}

/**
 * AES-256-GCM open. sops uses a 32-byte IV (GCM accepts any length) and the value's key path as additional
 * data, so a value moved to another key fails here. Throws when the tag does not verify.
 */
export function openValue(enc: EncryptedValue, key: Buffer, additionalData: string): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", key, enc.iv);
  decipher.setAAD(Buffer.from(additionalData, "utf8"));
  decipher.setAuthTag(enc.tag);
  return Buffer.concat([decipher.update(enc.data), decipher.final()]);
}

/** The plaintext as its declared type, the way sops' Go code parses it (strconv.Atoi/ParseFloat/ParseBool). */
export function typedValue(type: string, plain: Buffer, rawStrings: boolean): SopsLeaf {
  const text = plain.toString("utf8");
  switch (type) {
    case "str":
      return rawStrings ? plain : text;
    case "bytes":
      return plain;
    case "int":
      if (!/^[+-]?[0-9]+$/.test(text)) throw new Error("an int value does not parse as an integer");
      return Number(text);
    case "float":
      return parseGoFloat(text);
    case "bool":
      if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
      if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
      throw new Error("a bool value does not parse as a boolean");
    default:
      throw new Error(`unknown value type "${type}"`);
  }
}

function parseGoFloat(text: string): number {
  const lower = text.toLowerCase();
  if (/^[+]?inf(inity)?$/.test(lower)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/.test(lower)) return Number.NEGATIVE_INFINITY;
  if (lower === "nan") return Number.NaN;
  const n = Number(text.replaceAll("_", ""));
  if (text.trim() === "" || Number.isNaN(n)) throw new Error("a float value does not parse as a number");
  return n;
}
