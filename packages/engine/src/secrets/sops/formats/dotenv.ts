import { ProviderError } from "../../errors.js";
import { unflatten } from "../metadata.js";
import type { SopsDocument } from "../types.js";
import { leafText, type PlainItem, toObject } from "./plain.js";

/**
 * sops' dotenv store (stores/dotenv): one `KEY=VALUE` per line, split at the first `=` with nothing trimmed (so
 * `foo =x` has the key "foo "), `\n` escapes newlines, `#` lines are comments, and the metadata is in
 * `sops_`-prefixed flattened keys.
 */
export function parseDotenvSops(text: string, file: string): SopsDocument {
  const items: PlainItem[] = [];
  const flat: Record<string, string> = {};
  text.split("\n").forEach((line, index) => {
    if (line === "") return;
    if (line.startsWith("#")) {
      items.push({ comment: line.slice(1) });
      return;
    }
    const eq = line.indexOf("=");
    if (eq < 0) throw new ProviderError("format", `${file} line ${index + 1} is not KEY=VALUE`);
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).replaceAll("\\n", "\n");
    if (key.startsWith("sops_")) flat[key.slice("sops_".length)] = value;
    else items.push({ key, value });
  });
  if (Object.keys(flat).length === 0) throw new ProviderError("format", `${file} has no sops_ metadata`);
  return {
    format: "dotenv",
    metadata: unflatten(flat),
    walk(visitor) {
      for (const item of items) {
        if ("comment" in item) item.comment = visitor.comment(item.comment, []);
        else item.value = visitor.leaf(item.value, [item.key]);
      }
    },
    toValue: () =>
      toObject(items.flatMap((i) => ("key" in i ? [[i.key, i.value] as [string, unknown]] : []))),
    toText: () =>
      items
        .map((i) =>
          "comment" in i ? `#${i.comment}\n` : `${i.key}=${leafText(i.value).replaceAll("\n", "\\n")}\n`,
        )
        .join(""),
  };
}
