import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { Problem } from "../format/types.js";

/**
 * Each alias expands the whole anchored node again; `a: &a [*b,*b,...]` nests into billions of nodes
 * from a few hundred bytes. 100 aliases is far more than a hand-written workflow uses.
 */
export const MAX_ALIAS_COUNT = 100;

export type Path = ReadonlyArray<string | number>;

export interface Position {
  line: number;
  col: number;
}

/** A parsed YAML file that can still say where each value came from. */
export interface SourceFile {
  file: string;
  text: string;
  value: unknown;
  /** Where the value at `path` starts; with `key: true`, where its key starts. */
  locate(path: Path, options?: { key?: boolean }): Position;
  /** Where the scalar at `path` starts in the source, with its raw-text offset, for pointing inside strings. */
  scalarAt(path: Path): { offset: number; source: string; inline: boolean } | undefined;
}

export interface ParseResult {
  source?: SourceFile;
  problems: Problem[];
}

export function parseYamlFile(file: string, text: string): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const problems: Problem[] = doc.errors.map((e) => {
    const { line, col } = at(e.pos[0]);
    const message =
      e.code === "DUPLICATE_KEY"
        ? `duplicate key '${text.slice(e.pos[0], e.pos[1])}': a key may appear only once in a map`
        : `YAML: ${firstLine(e.message)}`;
    return { file, line, col, message };
  });
  if (problems.length > 0) return { problems };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message =
      error instanceof ReferenceError && /alias/i.test(error.message)
        ? `too many alias expansions (limit ${MAX_ALIAS_COUNT}): refusing a possible alias bomb`
        : `cannot read YAML: ${(error as Error).message}`;
    return { problems: [{ file, line: 1, col: 1, message }] };
  }

  const nodeAt = (path: Path, key: boolean): Node | undefined => {
    let node: unknown = doc.contents;
    let keyNode: unknown;
    for (const segment of path) {
      keyNode = undefined;
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
        );
        if (!pair) return node as Node;
        keyNode = pair.key;
        node = pair.value ?? pair.key;
      } else if (isSeq(node) && node.items[Number(segment)] !== undefined && /^\d+$/.test(String(segment))) {
        // Schema errors name list entries by JSON pointer, so their indexes arrive as strings ("0").
        node = node.items[Number(segment)];
      } else {
        return node as Node | undefined;
      }
    }
    return (key && keyNode ? keyNode : node) as Node | undefined;
  };

  const source: SourceFile = {
    file,
    text,
    value,
    locate(path, options) {
      const node = nodeAt(path, options?.key ?? false);
      return node?.range ? at(node.range[0]) : { line: 1, col: 1 };
    },
    scalarAt(path) {
      const node = nodeAt(path, false);
      if (!isScalar(node) || !node.range) return undefined;
      // Only plain and quoted single-line scalars map 1:1 from value offsets to source offsets (after the quote).
      const inline = node.type === "PLAIN" || node.type === "QUOTE_SINGLE" || node.type === "QUOTE_DOUBLE";
      const quote = node.type === "PLAIN" ? 0 : 1;
      return { offset: node.range[0] + (inline ? quote : 0), source: text, inline };
    },
  };
  return { source, problems };
}

/** Turns a source offset into a position, for callers that computed an offset inside a scalar. */
export function positionOfOffset(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}

function firstLine(message: string): string {
  return message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ?? message;
}
