import { type Document, isAlias, isMap, isScalar, isSeq, parseAllDocuments } from "yaml";
import { ProviderError } from "../../errors.js";
import { bytesAsText } from "../../structured.js";
import { isRecord } from "../metadata.js";
import type { LeafVisitor, SopsDocument, SopsLeaf } from "../types.js";

type Commented = { commentBefore?: string | null; comment?: string | null };

/**
 * YAML and JSON sops files. Both go through the `yaml` package's document model: it keeps map order (the MAC's
 * order; JS objects would move integer-like keys first), keeps comments (sops encrypts them), and reads JSON,
 * tabs included, since JSON is YAML 1.2. A multi-document YAML file is a list of documents, each carrying the
 * metadata; sops reads it from the first.
 */
export function parseYamlSops(text: string, file: string, format: "yaml" | "json"): SopsDocument {
  const parsed = parseAllDocuments(text, { prettyErrors: false });
  const docs = (Array.isArray(parsed) ? parsed : []) as Document.Parsed[];
  if (docs.length === 0) throw new ProviderError("format", `${file} is empty`);
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      // The message quotes the line; report the position only (the line may hold a secret).
      const at = error.linePos?.[0];
      throw new ProviderError(
        "format",
        `${file} is not valid ${format}${at ? ` at line ${at.line}` : ""} (${error.code})`,
      );
    }
    if (!isMap(doc.contents))
      throw new ProviderError("format", `${file}: the top level of a sops file must be a map`);
  }
  const metadata = docs[0]!.get("sops", true);
  const meta: unknown = isMap(metadata) ? metadata.toJSON() : undefined;
  if (!isRecord(meta))
    throw new ProviderError("format", `${file} has no sops metadata: is it encrypted with sops?`);
  for (const doc of docs) doc.delete("sops");

  const toValue = () => {
    const values = docs.map((d) => d.toJS());
    return values.length === 1 ? values[0] : values;
  };
  return {
    format,
    metadata: meta,
    walk(visitor) {
      for (const doc of docs) {
        visitComments(doc, [], visitor);
        walkNode(doc.contents, [], [], visitor);
      }
    },
    toValue,
    toText() {
      if (format === "json") return `${JSON.stringify(toValue(), bytesAsText, "\t")}\n`;
      return docs.map((d) => d.toString({ lineWidth: 0 })).join("---\n");
    },
  };
}

/** `commentPath` is the map a scalar sits in; for maps and lists it is their own path. */
function walkNode(node: unknown, path: string[], commentPath: string[], visitor: LeafVisitor): void {
  if (node === null || node === undefined) return;
  if (isAlias(node)) {
    // sops writes aliases out expanded, so one in an encrypted file was added by hand.
    throw new ProviderError(
      "format",
      `YAML aliases are not supported in sops files (at ${path.join(":") || "top"})`,
    );
  }
  if (isMap(node)) {
    visitComments(node, path, visitor);
    for (const pair of node.items) {
      if (!isScalar(pair.key))
        throw new ProviderError("format", `a map key at ${path.join(":") || "top"} is not a string`);
      visitComments(pair.key, path, visitor);
      const key =
        typeof pair.key.value === "string" ? pair.key.value : (pair.key.source ?? String(pair.key.value));
      walkNode(pair.value, [...path, key], path, visitor);
    }
  } else if (isSeq(node)) {
    visitComments(node, path, visitor);
    for (const item of node.items) walkNode(item, path, path, visitor);
  } else if (isScalar(node)) {
    visitComments(node, commentPath, visitor);
    const value = node.value;
    // sops does not walk nulls (Go nil): they are neither encrypted nor part of the MAC.
    if (isLeaf(value)) {
      const next = visitor.leaf(value, path);
      if (next !== value) {
        node.value = next;
        // Let the writer pick a style for the new value (a decrypted multi-line string cannot stay plain).
        node.type = undefined;
        node.format = undefined;
      }
    }
  }
}

function visitComments(node: Commented, path: string[], visitor: LeafVisitor): void {
  const each = (text: string) =>
    text
      .split("\n")
      .map((line) => visitor.comment(line, path))
      .join("\n");
  if (node.commentBefore) node.commentBefore = each(node.commentBefore);
  if (node.comment) node.comment = each(node.comment);
}

function isLeaf(value: unknown): value is SopsLeaf {
  return (
    typeof value === "string" ||
    typeof value === "number" ||
    typeof value === "boolean" ||
    value instanceof Uint8Array
  );
}
