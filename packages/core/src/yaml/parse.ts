import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  visit,
  type YAMLMap,
} from "yaml";
import type { Problem } from "../format/types.js";
import { composeDocument } from "./compose.js";

/**
 * Each alias expands the whole anchored node again; `a: &a [*b,*b,...]` nests into billions of nodes
 * from a few hundred bytes. 100 aliases is far more than a hand-written workflow uses.
 */
export const MAX_ALIAS_COUNT = 100;

export type Path = ReadonlyArray<string | number>;

/** Maps up to this many keys are searched when a path is located; larger ones get an index. */
const SEARCHED_MAP_SIZE = 32;

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
  // The library's own duplicate-key check compares each key with every earlier one of its map: a
  // 100,000-step workflow took minutes. duplicateKeys below does the same in one pass.
  const { doc, lineCounter } = composeDocument(text, { uniqueKeys: false, prettyErrors: false, strict: true });
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const problems: Problem[] = doc.errors.map((e) => {
    const { line, col } = at(e.pos[0]);
    return { file, line, col, message: `YAML: ${firstLine(e.message)}` };
  });
  if (problems.length === 0)
    for (const key of duplicateKeys(doc)) {
      const range = key.range ?? [0, 0];
      problems.push({
        file,
        ...at(range[0]),
        message: `duplicate key '${text.slice(range[0], range[1])}': a key may appear only once in a map`,
      });
    }
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

  // Each map's pairs by key, made when first asked: validation locates a path per step and per problem,
  // and a search through the pairs each time made a 100,000-step map quadratic.
  const indexes = new WeakMap<YAMLMap, Map<string, Pair>>();
  const pairOf = (map: YAMLMap, segment: string | number): Pair | undefined => {
    // A small map is searched: an index for each of 100,000 steps' maps would cost more than it saves.
    if (map.items.length <= SEARCHED_MAP_SIZE)
      return map.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
    let index = indexes.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items)
        if (isPair(p) && isScalar(p.key) && !index.has(String(p.key.value)))
          index.set(String(p.key.value), p);
      indexes.set(map, index);
    }
    return index.get(String(segment));
  };
  const nodeAt = (path: Path, key: boolean): Node | undefined => {
    let node: unknown = doc.contents;
    let keyNode: unknown;
    for (const segment of path) {
      keyNode = undefined;
      if (isMap(node)) {
        const pair = pairOf(node as YAMLMap, segment);
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

/** Scalar keys that appear a second time in their map (the second one), in one pass over the document. */
function duplicateKeys(doc: Document): Node[] {
  const found: Node[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        // A merge key (`<<`) may repeat, as the library allows.
        const value = pair.key.value;
        if (value === "<<") continue;
        if (seen.has(value)) found.push(pair.key);
        else seen.add(value);
      }
    },
  });
  return found;
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
