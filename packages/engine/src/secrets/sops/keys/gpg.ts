import { spawn } from "node:child_process";
import type { PgpStanza } from "../metadata.js";
import type { KeyAttempt } from "./key-attempt.js";

/** A gpg waiting on a pinentry nobody answers would hang a run; a decryption takes milliseconds. */
const GPG_TIMEOUT_MS = 30_000;

/**
 * Unwraps the data key the way sops does by default: the gpg CLI (SOPS_GPG_EXEC, else `gpg`) with the
 * caller's environment, so GNUPGHOME and the running gpg-agent decide which keys exist.
 */
export async function gpgDataKey(stanzas: PgpStanza[], env: NodeJS.ProcessEnv): Promise<KeyAttempt> {
  const gpg = env.SOPS_GPG_EXEC || "gpg";
  const failures: string[] = [];
  for (const stanza of stanzas) {
    const result = await run(gpg, ["--batch", "--quiet", "--no-tty", "--decrypt"], stanza.enc, env);
    if ("key" in result) return result;
    if (result.missing) {
      return { failure: `pgp: ${gpg} is not installed, and no in-process key is set (GANTRY_SOPS_PGP_KEY)` };
    }
    failures.push(`${stanza.fp || "a recipient"}: ${result.failure}`);
  }
  return { failure: `pgp (gpg): ${failures.join("; ")}` };
}

function run(
  command: string,
  args: string[],
  input: string,
  env: NodeJS.ProcessEnv,
): Promise<{ key: Buffer } | { failure: string; missing?: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ["pipe", "pipe", "pipe"], timeout: GPG_TIMEOUT_MS });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString("utf8");
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      resolve({ failure: error.message, missing: error.code === "ENOENT" });
    });
    child.on("close", (code, signal) => {
      if (code === 0) return resolve({ key: Buffer.concat(out) });
      // gpg's last line says why ("decryption failed: No secret key"); stderr never holds the plaintext.
      const why =
        err.trim().split("\n").filter(Boolean).pop() ?? (signal ? `killed by ${signal}` : `exit ${code}`);
      resolve({ failure: why });
    });
    child.stdin.on("error", () => {}); // gpg may exit before reading; "close" reports why
    child.stdin.end(input);
  });
}
