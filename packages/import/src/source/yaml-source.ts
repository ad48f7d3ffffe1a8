import {
  type Document,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  visit,
} from "yaml";

export type SourcePath = ReadonlyArray<string | number>;

export interface Position {
  line: number;
  col: number;
}

/**
 * A comment of the source, anchored to the value it sits at: `before` the entry at `path`, `after` it on
 * the same line, or at the `end` of the collection at `path`.
 */
export interface SourceComment {
  path: SourcePath;
  placement: "before" | "after" | "end";
  text: string;
}

/** One YAML document of a source file, with positions and comments. */
export interface YamlSource {
  file: string;
  text: string;
  value: unknown;
  /** The comment block at the top of the document. */
  header?: string;
  /** True when the document uses YAML aliases (`*name`), expanded in `value`. */
  aliases: boolean;
  /** The document's own comments, in document order (the header excluded). */
  comments: SourceComment[];
  /** Where the value at `path` starts (its key with `key: true`); the nearest existing ancestor's if absent. */
  locate(path: SourcePath, options?: { key?: boolean }): Position;
  /** The source lines that hold the entry at `path` (its key included), to quote an unconverted part. */
  linesOf(path: SourcePath): string | undefined;
}

export interface YamlProblem {
  line: number;
  col: number;
  message: string;
}

/** Each alias expands its anchor again; far more than hand-written CI files use, far less than a bomb. */
const MAX_ALIAS_COUNT = 1000;

/**
 * Parses every document of a YAML file. `<<` merge keys are honoured (CircleCI configs use them).
 * Problems carry 1-based positions; a file with any problem yields no documents.
 */
export function parseYamlSources(
  file: string,
  text: string,
): { sources: YamlSource[]; problems: YamlProblem[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  if (!Array.isArray(docs)) {
    // An empty stream parses to an EmptyStream object.
    return { sources: [], problems: [] };
  }
  const problems: YamlProblem[] = [];
  for (const doc of docs) {
    for (const error of doc.errors) {
      problems.push({ ...at(error.pos[0]), message: `YAML: ${error.message.split("\n")[0]}` });
    }
  }
  if (problems.length > 0) return { sources: [], problems };
  const sources: YamlSource[] = [];
  for (const doc of docs) {
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      return {
        sources: [],
        problems: [{ line: 1, col: 1, message: `cannot read YAML: ${(error as Error).message}` }],
      };
    }
    // `---` at the end of a file, or a document of comments only.
    if (value === null && doc.contents === null && sources.length > 0) continue;
    sources.push(sourceOf(file, text, doc, value, at, lineCounter));
  }
  return { sources, problems };
}

function sourceOf(
  file: string,
  text: string,
  doc: Document.Parsed,
  value: unknown,
  at: (offset: number) => Position,
  lineCounter: LineCounter,
): YamlSource {
  const find = (path: SourcePath): { node?: Node; key?: Node; found: boolean } => {
    let node: unknown = doc.contents;
    let key: Node | undefined;
    for (const segment of path) {
      key = undefined;
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
        );
        if (!pair) return { node: node as Node, found: false };
        key = pair.key as Node;
        node = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof segment === "number" && node.items[segment] !== undefined) {
        node = node.items[segment];
      } else {
        return { node: node as Node | undefined, found: false };
      }
    }
    return { node: node as Node | undefined, ...(key ? { key } : {}), found: true };
  };
  const comments: SourceComment[] = [];
  collectComments(doc.contents as Node | null, [], comments, text);
  let aliases = false;
  visit(doc, {
    Alias() {
      aliases = true;
      return visit.BREAK;
    },
  });
  if (doc.comment) comments.push({ path: [], placement: "end", text: doc.comment });
  return {
    file,
    text,
    value,
    ...(doc.commentBefore ? { header: doc.commentBefore } : {}),
    aliases,
    comments,
    locate(path, options) {
      const { node, key } = find(path);
      const target = options?.key && key ? key : node;
      return target?.range ? at(target.range[0]) : { line: 1, col: 1 };
    },
    linesOf(path) {
      const { node, key, found } = find(path);
      if (!found || !node?.range) return undefined;
      const start = (key?.range ?? node.range)[0];
      const end = node.range[2];
      const first = lineStart(text, start);
      const lastLine = lineCounter.linePos(Math.max(start, end - 1)).line;
      const endOffset = lineCounter.lineStarts[lastLine] ?? text.length;
      return text.slice(first, endOffset).replace(/\s+$/, "");
    },
  };
}

function lineStart(text: string, offset: number): number {
  const nl = text.lastIndexOf("\n", offset - 1);
  return nl + 1;
}

/**
 * Comments anchored to where they belong. yaml keeps a comment written before a collection's first entry,
 * and one written after a key whose value is a block (`on: # why`), on the collection itself: the text
 * between the key and the collection tells which.
 */
function collectComments(
  node: Node | null,
  path: SourcePath,
  out: SourceComment[],
  text: string,
  keyEnd?: number,
): void {
  if (!node) return;
  if (isCollection(node)) {
    if (node.commentBefore) {
      const lines = node.commentBefore.split("\n");
      const between = keyEnd !== undefined && node.range ? text.slice(keyEnd, node.range[0]) : "";
      const trailing = between.split("\n")[0]?.includes("#") ?? false;
      if (trailing) out.push({ path, placement: "after", text: lines.shift() as string });
      const first = isMap(node) ? firstKey(node.items[0]) : node.items.length > 0 ? 0 : undefined;
      if (lines.length > 0) {
        out.push({
          path: first === undefined ? path : [...path, first],
          placement: "before",
          text: lines.join("\n"),
        });
      }
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const child = [...path, String(pair.key.value)];
        const key = pair.key as Node;
        if (key.commentBefore) out.push({ path: child, placement: "before", text: key.commentBefore });
        if (key.comment) out.push({ path: child, placement: "after", text: key.comment });
        collectComments(pair.value as Node | null, child, out, text, key.range?.[1]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        collectComments(item as Node, [...path, index], out, text);
      });
    }
    if (node.comment) out.push({ path, placement: "end", text: node.comment });
    return;
  }
  if (node.commentBefore) out.push({ path, placement: "before", text: node.commentBefore });
  if (node.comment) out.push({ path, placement: "after", text: node.comment });
}

function firstKey(pair: unknown): string | undefined {
  return isPair(pair) && isScalar(pair.key) ? String(pair.key.value) : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** True when `path` is `prefix` or lies under it. */
export function startsWith(path: SourcePath, prefix: SourcePath): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => String(segment) === String(path[i]));
}

/**
 * The first document of a file that must be one YAML map (a CI config): the document, or the file's
 * problems as `file:line:col: message` (`what` names what the file should have been).
 */
export function parseYamlMap(
  file: string,
  text: string,
  what: string,
): { source: YamlSource & { value: Record<string, unknown> } } | { errors: string[] } {
  const parsed = parseYamlSources(file, text);
  if (parsed.problems.length > 0)
    return { errors: parsed.problems.map((p) => `${file}:${p.line}:${p.col}: ${p.message}`) };
  const source = parsed.sources[0];
  if (!source || !isRecord(source.value)) return { errors: [`${file}:1:1: not ${what} (a YAML map)`] };
  return { source: source as YamlSource & { value: Record<string, unknown> } };
}
