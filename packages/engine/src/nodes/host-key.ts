import { createHash } from "node:crypto";

/** Host key types Gantry verifies (OpenSSH's; DSA is long gone from it). */
export const HOST_KEY_TYPES = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
] as const;

/** A public key as the wire carries it: its type and the whole blob (which starts with the type again). */
export interface PublicKey {
  type: string;
  blob: Buffer;
}

/**
 * Reads `ssh-ed25519 AAAA… [comment]` (a line of known_hosts after the host, or of a `.pub` file). Throws
 * saying what is wrong: an unknown type, bad base64, or a blob whose own type differs from the label.
 */
export function parsePublicKey(text: string): PublicKey {
  const [type, data] = text.trim().split(/\s+/);
  if (!type || !data) throw new Error("expected '<type> <base64 key>', e.g. ssh-ed25519 AAAAC3Nz…");
  if (!(HOST_KEY_TYPES as readonly string[]).includes(type)) {
    throw new Error(`unknown key type '${type}' (known: ${HOST_KEY_TYPES.join(", ")})`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw new Error("the key is not base64");
  const blob = Buffer.from(data, "base64");
  const inner = blobType(blob);
  if (inner !== type) throw new Error(`the key's data is a '${inner ?? "malformed"}' key, not '${type}'`);
  return { type, blob };
}

/** The type a key blob names in its first field, or undefined when the blob is malformed. */
export function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return undefined;
  return blob.subarray(4, 4 + length).toString("latin1");
}

/** OpenSSH's fingerprint: SHA256 of the blob, base64 without padding (`SHA256:…`, as ssh-keygen -l shows). */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/**
 * The host key algorithms to offer for keys of these types, in OpenSSH's order of preference: an RSA
 * key is asked for with its SHA-2 signatures first (ssh-rsa signs with SHA-1, which OpenSSH 8.8 disabled).
 */
export function hostKeyAlgorithms(types: Iterable<string>): string[] {
  const wanted = new Set(types);
  const order: Array<[string, string[]]> = [
    ["ssh-ed25519", ["ssh-ed25519"]],
    ["ecdsa-sha2-nistp256", ["ecdsa-sha2-nistp256"]],
    ["ecdsa-sha2-nistp384", ["ecdsa-sha2-nistp384"]],
    ["ecdsa-sha2-nistp521", ["ecdsa-sha2-nistp521"]],
    ["ssh-rsa", ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]],
  ];
  return order.filter(([type]) => wanted.has(type)).flatMap(([, algorithms]) => algorithms);
}
