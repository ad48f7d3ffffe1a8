import type { SopsLeaf } from "../types.js";

/** A map for formats without nesting libraries (dotenv, INI): ordered entries and comment lines. */
export type PlainItem = { key: string; value: SopsLeaf } | { comment: string };

/** Entries as an object; defineProperty so a key named __proto__ stays a key. */
export function toObject(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export function leafText(value: SopsLeaf): string {
  return value instanceof Uint8Array ? Buffer.from(value).toString("utf8") : String(value);
}
