import { ProviderError } from "./errors.js";

/** Splits an RFC 6901 pointer into unescaped tokens ("" is the whole document). */
export function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/"))
    throw new ProviderError("pointer", `JSON pointer "${pointer}" must start with /`);
  return pointer
    .slice(1)
    .split("/")
    .map((token) => {
      if (/~[^01]|~$/.test(token)) {
        throw new ProviderError("pointer", `JSON pointer "${pointer}" has a ~ not followed by 0 or 1`);
      }
      // Order matters (RFC 6901 section 4): ~01 must become ~1, not /.
      return token.replaceAll("~1", "/").replaceAll("~0", "~");
    });
}

/**
 * Follows a pointer into plain data. Errors name the pointer and the missing key, never a value: they are
 * built from the pointer (which the user wrote) and the kind of node found.
 */
export function applyPointer(value: unknown, pointer: string): unknown {
  let node = value;
  let at = "";
  for (const token of parsePointer(pointer)) {
    const escaped = token.replaceAll("~", "~0").replaceAll("/", "~1");
    if (Array.isArray(node)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token)) {
        throw new ProviderError(
          "pointer",
          `${pointer}: ${at || "the root"} is a list and "${token}" is not an index`,
        );
      }
      const index = Number(token);
      if (index >= node.length) {
        throw new ProviderError(
          "pointer",
          `${pointer}: index ${index} is out of range at ${at || "the root"} (length ${node.length})`,
        );
      }
      node = node[index];
    } else if (node !== null && typeof node === "object" && !ArrayBuffer.isView(node)) {
      if (!Object.hasOwn(node, token)) {
        throw new ProviderError("pointer", `${pointer}: key "${token}" not found at ${at || "the root"}`);
      }
      node = (node as Record<string, unknown>)[token];
    } else {
      throw new ProviderError(
        "pointer",
        `${pointer}: ${at || "the root"} is a ${kind(node)}, not a map or list`,
      );
    }
    at += `/${escaped}`;
  }
  return node;
}

function kind(node: unknown): string {
  if (node === null || node === undefined) return "null";
  if (ArrayBuffer.isView(node)) return "binary value";
  return typeof node;
}
