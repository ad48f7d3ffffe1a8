import { readFile } from "node:fs/promises";
import { decrypt, decryptKey, type PrivateKey, readMessage, readPrivateKeys } from "openpgp";
import type { PgpStanza } from "../metadata.js";
import type { KeyAttempt } from "./key-attempt.js";

/**
 * Unwraps the data key in-process with openpgp, from armored private keys in GANTRY_SOPS_PGP_KEY or the file
 * GANTRY_SOPS_PGP_KEY_FILE (unlocked with GANTRY_SOPS_PGP_PASSPHRASE when protected). No gpg, no agent.
 */
export async function pgpDataKey(stanzas: PgpStanza[], env: NodeJS.ProcessEnv): Promise<KeyAttempt> {
  const loaded = await loadKeys(env);
  if ("failure" in loaded) return loaded;
  const failures: string[] = [];
  for (const stanza of stanzas) {
    try {
      const message = await readMessage({ armoredMessage: stanza.enc });
      const { data } = await decrypt({ message, decryptionKeys: loaded.keys, format: "binary" });
      return { key: Buffer.from(data) };
    } catch (err) {
      failures.push(`${stanza.fp || "a recipient"}: ${(err as Error).message}`);
    }
  }
  const have = loaded.keys.map((k) => k.getFingerprint().toUpperCase()).join(", ");
  return { failure: `pgp (in-process, keys ${have}): ${failures.join("; ")}` };
}

async function loadKeys(env: NodeJS.ProcessEnv): Promise<{ keys: PrivateKey[] } | { failure: string }> {
  const sources: [string, string][] = [];
  if (env.GANTRY_SOPS_PGP_KEY) sources.push(["GANTRY_SOPS_PGP_KEY", env.GANTRY_SOPS_PGP_KEY]);
  if (env.GANTRY_SOPS_PGP_KEY_FILE) {
    try {
      sources.push([env.GANTRY_SOPS_PGP_KEY_FILE, await readFile(env.GANTRY_SOPS_PGP_KEY_FILE, "utf8")]);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "error";
      return {
        failure: `pgp: cannot read GANTRY_SOPS_PGP_KEY_FILE ${env.GANTRY_SOPS_PGP_KEY_FILE} (${code})`,
      };
    }
  }
  const keys: PrivateKey[] = [];
  for (const [source, text] of sources) {
    // An export often holds several armored blocks (gpg --export-secret-keys a b); openpgp reads one per call.
    // Public-key blocks are skipped: they cannot decrypt.
    const blocks = text.match(
      /-----BEGIN PGP PRIVATE KEY BLOCK-----[\s\S]*?-----END PGP PRIVATE KEY BLOCK-----/g,
    );
    if (!blocks) return { failure: `pgp: ${source} holds no armored private key` };
    for (const armoredKeys of blocks) {
      try {
        keys.push(...(await readPrivateKeys({ armoredKeys })));
      } catch {
        return { failure: `pgp: ${source} holds a private key openpgp cannot read` };
      }
    }
  }
  const passphrase = env.GANTRY_SOPS_PGP_PASSPHRASE;
  const unlocked: PrivateKey[] = [];
  for (const key of keys) {
    if (key.isDecrypted()) unlocked.push(key);
    else if (passphrase) {
      try {
        unlocked.push(await decryptKey({ privateKey: key, passphrase }));
      } catch {
        return {
          failure: `pgp: GANTRY_SOPS_PGP_PASSPHRASE does not unlock key ${key.getFingerprint().toUpperCase()}`,
        };
      }
    } else
      return {
        failure: `pgp: key ${key.getFingerprint().toUpperCase()} is locked; set GANTRY_SOPS_PGP_PASSPHRASE`,
      };
  }
  return { keys: unlocked };
}
