import { ProviderError } from "../../errors.js";
import { unflatten } from "../metadata.js";
import type { SopsDocument } from "../types.js";
import { leafText, type PlainItem, toObject } from "./plain.js";

interface Section {
  name: string;
  /** Comment lines above the `[name]` line. */
  comments: string[];
  items: PlainItem[];
}

/**
 * sops' INI store (stores/ini, on go-ini): every section is a map under its name, keys before the first
 * section belong to "DEFAULT", values are strings, comments (`;` or `#`) belong to their section, and the
 * metadata is the `[sops]` section with flattened keys and `\n`-escaped newlines.
 * Not handled like go-ini: inline comments (a value keeps any ` ;`/` #` text), continuation lines and
 * `"""` multi-line values; sops does not write them.
 */
export function parseIniSops(text: string, file: string): SopsDocument {
  const sections: Section[] = [{ name: "DEFAULT", comments: [], items: [] }];
  let current = sections[0]!;
  let pending: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "") return;
    if (line.startsWith(";") || line.startsWith("#")) {
      pending.push(line.slice(1));
      return;
    }
    if (line.startsWith("[")) {
      if (!line.endsWith("]"))
        throw new ProviderError("format", `${file} line ${index + 1} is not a [section]`);
      const name = line.slice(1, -1).trim();
      current = sections.find((s) => s.name === name) ?? { name, comments: [], items: [] };
      if (!sections.includes(current)) sections.push(current);
      current.comments.push(...pending);
      pending = [];
      return;
    }
    const at = line.search(/[=:]/);
    if (at <= 0) throw new ProviderError("format", `${file} line ${index + 1} is not key = value`);
    for (const comment of pending) current.items.push({ comment });
    pending = [];
    current.items.push({ key: line.slice(0, at).trim(), value: unquote(line.slice(at + 1).trim()) });
  });
  for (const comment of pending) current.items.push({ comment });

  const sopsSection = sections.find((s) => s.name === "sops");
  if (!sopsSection) throw new ProviderError("format", `${file} has no [sops] section`);
  const flat: Record<string, string> = {};
  for (const item of sopsSection.items)
    if ("key" in item) flat[item.key] = leafText(item.value).replaceAll("\\n", "\n");
  const data = sections.filter((s) => s !== sopsSection);

  return {
    format: "ini",
    metadata: unflatten(flat),
    walk(visitor) {
      for (const section of data) {
        section.comments = section.comments.map((c) => visitor.comment(c, [section.name]));
        for (const item of section.items) {
          if ("comment" in item) item.comment = visitor.comment(item.comment, [section.name]);
          else item.value = visitor.leaf(item.value, [section.name, item.key]);
        }
      }
    },
    toValue: () =>
      toObject(
        data
          .filter((s) => s.name !== "DEFAULT" || s.items.some((i) => "key" in i))
          .map((s) => [
            s.name,
            toObject(s.items.flatMap((i) => ("key" in i ? [[i.key, i.value] as [string, unknown]] : []))),
          ]),
      ),
    toText: () =>
      data
        .filter((s) => s.name !== "DEFAULT" || s.items.length > 0 || s.comments.length > 0)
        .map((s) => {
          const lines = s.comments.map((c) => `; ${c.trimStart()}`);
          if (s.name !== "DEFAULT" || lines.length > 0) lines.push(`[${s.name}]`);
          for (const i of s.items)
            lines.push("comment" in i ? `; ${i.comment.trimStart()}` : `${i.key} = ${leafText(i.value)}`);
          return `${lines.join("\n")}\n`;
        })
        .join("\n"),
  };
}

function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
    return value.slice(1, -1);
  }
  return value;
}
