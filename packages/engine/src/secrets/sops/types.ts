/** The file formats sops writes; anything else is "binary" (the file's bytes under one `data` key). */
export type SopsFormat = "yaml" | "json" | "dotenv" | "ini" | "binary";

/** A decrypted or plain leaf, as sops' Go types map to JS: str, int/float, bool, bytes. */
export type SopsLeaf = string | number | boolean | Uint8Array;

export interface LeafVisitor {
  /** `path` is the map keys from the root; list indices are not part of it (sops leaves them out). */
  leaf(value: SopsLeaf, path: readonly string[]): SopsLeaf;
  /** One comment line, without its `#`/`;`. `path` is the map it sits in. Returns the text to keep. */
  comment(text: string, path: readonly string[]): string;
}

/** A parsed sops file: its tree without the `sops` metadata, walkable in document order (the MAC's order). */
export interface SopsDocument {
  readonly format: SopsFormat;
  /** The `sops` metadata as a nested plain object (flattened dotenv/INI keys already expanded). */
  readonly metadata: Record<string, unknown>;
  /** Binary files keep `str` values as bytes: they need not be UTF-8. */
  readonly rawStrings?: boolean;
  /** Visits every leaf and comment in document order, replacing each with what the visitor returns. */
  walk(visitor: LeafVisitor): void;
  toValue(): unknown;
  /** The document written back in its own format (what `sops -d` prints). */
  toText(): string;
}
