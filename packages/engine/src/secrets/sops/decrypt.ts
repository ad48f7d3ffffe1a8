import { readText } from "../files.js";
import type { ProviderValue } from "../provider.js";
import { formatFromPath, parseSopsDocument } from "./formats/index.js";
import { dataKey } from "./keys/index.js";
import { readMetadata } from "./metadata.js";
import type { SopsFormat } from "./types.js";
import { decryptDocument } from "./walk.js";

export interface SopsDecryptOptions {
  /** Where keys come from: SOPS_AGE_KEY(_FILE), GANTRY_SOPS_PGP_KEY(_FILE), GNUPGHOME, SOPS_GPG_EXEC. */
  env: NodeJS.ProcessEnv;
  /** Defaults to the format sops picks from the file name. */
  format?: SopsFormat;
  /** The file's name in messages; defaults to the path. */
  name?: string;
}

/** Reads and decrypts a sops file: the parsed document, its format, and its decrypted text. */
export async function decryptSopsFile(file: string, opts: SopsDecryptOptions): Promise<ProviderValue> {
  const name = opts.name ?? file;
  const text = await readText(file, name);
  return decryptSops(text, { ...opts, name, format: opts.format ?? formatFromPath(file) });
}

/** Decrypts sops-encrypted text held in memory. */
export async function decryptSops(
  text: string,
  opts: SopsDecryptOptions & { format: SopsFormat; name: string },
): Promise<ProviderValue> {
  const doc = parseSopsDocument(text, opts.format, opts.name);
  const meta = readMetadata(doc.metadata, opts.name);
  const key = await dataKey(meta, opts.env, opts.name);
  decryptDocument(doc, meta, key, opts.name);
  return { value: doc.toValue(), format: doc.format, text: doc.toText() };
}
