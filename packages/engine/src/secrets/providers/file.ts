import path from "node:path";
import { readText } from "../files.js";
import type { SecretProvider } from "../provider.js";
import { parseJson, parseYaml } from "../structured.js";

/**
 * `ref+file://relative/or/absolute/path`: a file's content, relative to the resolver's base directory.
 * .yaml/.yml/.json files are parsed so that `#/pointer` selects inside them; without a pointer the caller still
 * gets the file's exact text when it asks for a string.
 */
export const fileProvider: SecretProvider = {
  name: "file",
  async resolve(ref, ctx) {
    const file = path.resolve(ctx.baseDir, ref.path);
    const text = await readText(file, ref.path);
    const ext = path.extname(file).toLowerCase();
    if (ext === ".json") return { value: parseJson(text, `file ${ref.path}`), format: "json", text };
    if (ext === ".yaml" || ext === ".yml") {
      return { value: await parseYaml(text, `file ${ref.path}`), format: "yaml", text };
    }
    return { value: text, format: "text" };
  },
};
