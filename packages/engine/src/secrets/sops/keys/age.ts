import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { armor, Decrypter } from "age-encryption";
import type { AgeStanza } from "../metadata.js";
import type { KeyAttempt } from "./key-attempt.js";

/** Unwraps the data key with age identities found where sops looks for them. */
export async function ageDataKey(stanzas: AgeStanza[], env: NodeJS.ProcessEnv): Promise<KeyAttempt> {
  const { identities, problems } = await loadIdentities(env);
  if (identities.length === 0) {
    return { failure: ["age: no identity (set SOPS_AGE_KEY or SOPS_AGE_KEY_FILE)", ...problems].join("; ") };
  }
  const decrypter = new Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  const failures: string[] = [];
  for (const stanza of stanzas) {
    try {
      return { key: Buffer.from(await decrypter.decrypt(armor.decode(stanza.enc))) };
    } catch (err) {
      // age's messages name recipients and formats, never key material.
      failures.push(`${stanza.recipient || "a recipient"}: ${(err as Error).message}`);
    }
  }
  return { failure: `age: ${failures.join("; ")}` };
}

/**
 * As sops: the identities in SOPS_AGE_KEY, plus those in the file SOPS_AGE_KEY_FILE or, when that is unset,
 * in $XDG_CONFIG_HOME/sops/age/keys.txt (~/.config/... without XDG_CONFIG_HOME) if it exists.
 */
async function loadIdentities(env: NodeJS.ProcessEnv): Promise<{ identities: string[]; problems: string[] }> {
  const texts: [string, string][] = [];
  const problems: string[] = [];
  if (env.SOPS_AGE_KEY) texts.push(["SOPS_AGE_KEY", env.SOPS_AGE_KEY]);
  const configDir = env.XDG_CONFIG_HOME || (env.HOME ? path.join(env.HOME, ".config") : undefined);
  const file = env.SOPS_AGE_KEY_FILE || (configDir && path.join(configDir, "sops", "age", "keys.txt"));
  if (file && (env.SOPS_AGE_KEY_FILE || existsSync(file))) {
    try {
      texts.push([file, await readFile(file, "utf8")]);
    } catch (err) {
      problems.push(
        `cannot read SOPS_AGE_KEY_FILE ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
  }
  const identities: string[] = [];
  for (const [source, text] of texts) {
    for (const line of text.split(/\r?\n/).map((l) => l.trim())) {
      if (line === "" || line.startsWith("#")) continue;
      if (line.startsWith("AGE-SECRET-KEY-")) identities.push(line);
      else problems.push(`${source} has a line that is not an age identity`); // the line itself is not shown
    }
  }
  return { identities, problems };
}
