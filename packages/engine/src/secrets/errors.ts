/**
 * Why a reference could not be resolved. Callers branch on this (e.g. `gantry secrets check` prints it,
 * a run fails the step); the message is for people.
 */
export type SecretErrorReason =
  | "invalid-ref" // the reference itself is malformed
  | "unknown-provider"
  | "not-found" // file, variable or remote secret missing
  | "pointer" // the key / JSON pointer is missing in the value
  | "no-key" // no key available to decrypt a sops file
  | "mac-mismatch" // a sops file was changed after encryption
  | "format" // the value could not be parsed (never quoting it)
  | "provider"; // any other provider failure (network, permissions, ...)

/**
 * The one error type of the secrets module. The message names the reference and the reason, and never the
 * resolved value: every message is built from the reference, paths and key names only, and parser errors that
 * quote their input are replaced by their position before they get here.
 */
export class SecretError extends Error {
  override readonly name = "SecretError";
  constructor(
    /** The reference as written (it names the secret, it is not the secret). */
    readonly ref: string,
    readonly reason: SecretErrorReason,
    /** The reason without the reference, for output that prints the reference already. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${ref}: ${detail}`, options);
  }
}

/**
 * A failure inside a provider, before the resolver knows the reference. `resolve.ts` wraps it into a
 * SecretError with the reference; providers throw this instead so they need not carry the reference around.
 */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
  constructor(
    readonly reason: SecretErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
