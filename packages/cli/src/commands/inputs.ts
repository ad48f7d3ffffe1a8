import { readFile } from "node:fs/promises";
import { UsageError } from "../errors.js";

/** Reads `--inputs-file` (a JSON object) and `--input NAME=VALUE` flags; flags win over the file. */
export async function readRawInputs(pairs: string[], inputsFile?: string): Promise<Record<string, unknown>> {
  const raw: Record<string, unknown> = {};
  if (inputsFile) {
    let text: string;
    try {
      text = await readFile(inputsFile, "utf8");
    } catch (error) {
      throw new UsageError(
        `--inputs-file ${inputsFile}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (error as Error).message}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`--inputs-file ${inputsFile}: invalid JSON: ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new UsageError(`--inputs-file ${inputsFile}: must hold a JSON object of input names to values`);
    }
    Object.assign(raw, parsed);
  }
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--input '${pair}': expected NAME=VALUE`);
    raw[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return raw;
}
