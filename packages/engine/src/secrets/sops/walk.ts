import { createHash, timingSafeEqual } from "node:crypto";
import { ProviderError } from "../errors.js";
import { openValue, parseEncrypted, typedValue } from "./cipher.js";
import { macBytes } from "./mac.js";
import type { SopsMetadata } from "./metadata.js";
import type { SopsDocument } from "./types.js";

/**
 * Decrypts every leaf in place and checks the MAC, as sops' Tree.Decrypt does: the MAC is SHA-512 over each
 * leaf's plaintext in document order (unencrypted leaves included unless mac_only_encrypted), upper-case hex,
 * stored encrypted with `lastmodified` as additional data. Any sign of change (a value that does not
 * authenticate, a plain value where an encrypted one belongs, a different MAC) is a "MAC mismatch".
 */
export function decryptDocument(doc: SopsDocument, meta: SopsMetadata, key: Buffer, file: string): void {
  const hash = createHash("sha512");
  doc.walk({
    leaf(value, path) {
      const encrypted = meta.shouldEncrypt(path);
      let out = value;
      let bytes: Buffer;
      if (!encrypted) bytes = macBytes(value);
      else if (value === "")
        bytes = Buffer.alloc(0); // sops leaves empty strings as they are
      else {
        const enc = typeof value === "string" ? parseEncrypted(value) : undefined;
        if (!enc) throw macMismatch(file, `the value at ${show(path)} should be encrypted but is not`);
        let plain: Buffer;
        try {
          plain = openValue(enc, key, additionalData(path));
        } catch {
          throw macMismatch(file, `the value at ${show(path)} does not authenticate (changed or moved)`);
        }
        try {
          out = typedValue(enc.type, plain, doc.rawStrings === true);
        } catch (err) {
          throw new ProviderError("format", `${file}: the value at ${show(path)}: ${(err as Error).message}`);
        }
        // Hash what Go would: the raw bytes of strings, Itoa of ints (exact, unlike a JS number past 2^53).
        if (enc.type === "str" || enc.type === "bytes") bytes = plain;
        else if (enc.type === "int") bytes = Buffer.from(BigInt(plain.toString("utf8")).toString());
        else bytes = macBytes(out);
      }
      if (!meta.macOnlyEncrypted || encrypted) hash.update(bytes);
      return out;
    },
    comment(text, path) {
      const enc = parseEncrypted(text.trim());
      if (enc?.type !== "comment") return text;
      // Comments are outside the MAC, and parsers attach a comment to a neighbouring node, so its map is a guess:
      // try the guess and each map above it. sops too keeps a comment it cannot decrypt as it is.
      for (let n = path.length; n >= 0; n--) {
        try {
          return openValue(enc, key, additionalData(path.slice(0, n))).toString("utf8");
        } catch {}
      }
      return text;
    },
  });
  verifyMac(hash.digest("hex").toUpperCase(), meta, key, file);
}

function verifyMac(computed: string, meta: SopsMetadata, key: Buffer, file: string): void {
  const enc = meta.mac ? parseEncrypted(meta.mac) : undefined;
  if (!enc) throw macMismatch(file, "the file has no valid sops.mac");
  let stored: Buffer;
  try {
    stored = openValue(enc, key, goRfc3339(meta.lastModified));
  } catch {
    throw macMismatch(file, "the stored MAC does not authenticate (it or lastmodified was changed)");
  }
  const want = Buffer.from(computed);
  if (stored.length !== want.length || !timingSafeEqual(stored, want)) {
    // Neither hash is printed: both are digests of the plaintexts.
    throw macMismatch(file, "the values do not match the stored MAC (a value was changed, added or removed)");
  }
}

/** Map keys joined and ended by ":" (`app2:db:password:`); list indices are not included. */
function additionalData(path: readonly string[]): string {
  return `${path.join(":")}:`;
}

/** sops formats lastmodified with Go's time.RFC3339: no fractional seconds, "Z" for UTC. */
function goRfc3339(text: string): string {
  return text.replace(/\.\d+(?=Z|[+-]\d\d:\d\d$)/, "").replace(/\+00:00$/, "Z");
}

function show(path: readonly string[]): string {
  return path.length ? path.join(":") : "the top level";
}

function macMismatch(file: string, detail: string): ProviderError {
  return new ProviderError("mac-mismatch", `MAC mismatch in ${file}: ${detail}`);
}
