import { ProviderError } from "../../errors.js";
import type { SopsMetadata } from "../metadata.js";
import type { KeyAttempt } from "./key-attempt.js";

/**
 * The file's 32-byte data key, from the first key source that can unwrap it: age identities, then PGP
 * (in-process with openpgp when GANTRY_SOPS_PGP_KEY(_FILE) is set, otherwise the gpg CLI as sops itself does).
 * Each source's library is imported only when the file has recipients of its kind.
 */
export async function dataKey(meta: SopsMetadata, env: NodeJS.ProcessEnv, file: string): Promise<Buffer> {
  const tried: string[] = [];
  const accept = (attempt: KeyAttempt): Buffer | undefined => {
    if ("failure" in attempt) tried.push(attempt.failure);
    else if (attempt.key.length !== 32)
      tried.push(`a data key unwrapped to ${attempt.key.length} bytes, not 32`);
    else return attempt.key;
    return undefined;
  };
  if (meta.age.length > 0) {
    const { ageDataKey } = await import("./age.js");
    const key = accept(await ageDataKey(meta.age, env));
    if (key) return key;
  }
  if (meta.pgp.length > 0) {
    const inProcess = Boolean(env.GANTRY_SOPS_PGP_KEY || env.GANTRY_SOPS_PGP_KEY_FILE);
    const attempt = inProcess
      ? await (await import("./pgp.js")).pgpDataKey(meta.pgp, env)
      : await (await import("./gpg.js")).gpgDataKey(meta.pgp, env);
    const key = accept(attempt);
    if (key) return key;
  }
  if (meta.age.length === 0 && meta.pgp.length === 0) tried.push("the file has no age or PGP recipients");
  if (meta.unsupported.length > 0)
    tried.push(`its ${meta.unsupported.join(", ")} keys are not supported here`);
  throw new ProviderError("no-key", `no key to decrypt ${file}: ${tried.join("; ")}`);
}
