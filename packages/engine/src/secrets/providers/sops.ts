import path from "node:path";
import { ProviderError } from "../errors.js";
import type { SecretProvider } from "../provider.js";
import type { SopsFormat } from "../sops/types.js";

const FORMATS: readonly SopsFormat[] = ["yaml", "json", "dotenv", "ini", "binary"];

/**
 * `ref+sops://path/to/file.enc.yaml[?format=yaml|json|dotenv|ini|binary]#/a/b`: a sops-encrypted file,
 * decrypted in-process. The format comes from the extension as sops picks it, unless `format` says otherwise.
 */
export const sopsProvider: SecretProvider = {
  name: "sops",
  async resolve(ref, ctx) {
    const format = ref.params.format;
    if (format !== undefined && !FORMATS.includes(format as SopsFormat)) {
      throw new ProviderError("format", `unknown sops format "${format}" (use one of ${FORMATS.join(", ")})`);
    }
    // The decryptor (yaml, node:crypto; openpgp and age-encryption on demand) loads with the first sops ref.
    const { decryptSopsFile } = await import("../sops/decrypt.js");
    const file = path.resolve(ctx.baseDir, ref.path);
    return decryptSopsFile(file, { env: ctx.env, format: format as SopsFormat | undefined, name: ref.path });
  },
};
