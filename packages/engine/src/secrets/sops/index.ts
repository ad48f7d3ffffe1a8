import type { ProviderValue } from "../provider.js";
import type { SopsDecryptOptions } from "./decrypt.js";
import type { SopsFormat } from "./types.js";

export type { SopsDecryptOptions } from "./decrypt.js";
export type { SopsFormat } from "./types.js";

// Entry points for code other than the sops provider (e.g. reading an encrypted server config). They load the
// decryptor on first call, so importing the secrets module stays free.

/** Reads and decrypts a sops file (YAML, JSON, dotenv, INI or binary) in-process, verifying its MAC. */
export async function decryptSopsFile(file: string, opts: SopsDecryptOptions): Promise<ProviderValue> {
  return (await import("./decrypt.js")).decryptSopsFile(file, opts);
}

/** Decrypts sops-encrypted text held in memory; `name` is used in messages. */
export async function decryptSops(
  text: string,
  opts: SopsDecryptOptions & { format: SopsFormat; name: string },
): Promise<ProviderValue> {
  return (await import("./decrypt.js")).decryptSops(text, opts);
}
