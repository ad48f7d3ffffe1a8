import { readFile } from "node:fs/promises";
import { ProviderError } from "./errors.js";

/** Reads a file for a provider; `shown` is the path as the reference wrote it. */
export async function readText(file: string, shown: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw new ProviderError("not-found", `file ${shown} does not exist (looked at ${file})`);
    if (code === "EISDIR") throw new ProviderError("not-found", `${shown} is a directory, not a file`);
    throw new ProviderError("provider", `cannot read ${shown}: ${code ?? (err as Error).message}`, {
      cause: err,
    });
  }
}
