import type { SecretRef } from "./ref.js";

/** How a provider's value is written, so it can be turned back into text in its own format. */
export type ValueFormat = "yaml" | "json" | "dotenv" | "ini" | "text" | "binary";

/** What a provider returns: its whole value. The resolver applies the reference's pointer afterwards. */
export interface ProviderValue {
  /** A string, bytes (Uint8Array), or parsed data (objects, arrays, scalars). */
  value: unknown;
  format: ValueFormat;
  /** The whole value as text when the provider has it verbatim (a file's content, a decrypted document). */
  text?: string;
}

/** What a provider may use. Everything comes in here, never from globals, so tests and runs stay isolated. */
export interface SecretContext {
  /** Relative `file` and `sops` paths resolve against this directory (the workflow's folder). */
  baseDir: string;
  /** Provider settings and credentials (VAULT_ADDR, SOPS_AGE_KEY, AWS_REGION, ...). */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/**
 * One kind of reference (`ref+<name>://`). A provider loads its client library inside `resolve` with a
 * dynamic import(), so that importing the secrets module costs nothing until a reference needs it.
 */
export interface SecretProvider {
  readonly name: string;
  /**
   * Returns the whole value for `ref.path` and `ref.params` (ignore `ref.pointer`: the resolver applies it).
   * Throws ProviderError for expected failures (missing, denied); messages must not contain secret values.
   */
  resolve(ref: SecretRef, ctx: SecretContext): Promise<ProviderValue>;
}
