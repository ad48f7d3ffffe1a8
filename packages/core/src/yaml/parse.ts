import { LineCounter, parseDocument } from "yaml";
import type { Problem } from "../format/types.js";
import { type ComposeOptions, composeInParts } from "./compose.js";
import { duplicateKeys } from "./duplicate-keys.js";
import { type Located, locatedAt, locatedNode, offsetOf, type Path, scalarOf } from "./located.js";

export type { Path } from "./located.js";

/**
 * Each alias expands the whole anchored node again; `a: &a [*b,*b,...]` nests into billions of nodes
 * from a few hundred bytes. 100 aliases is far more than a hand-written workflow uses.
 */
export const MAX_ALIAS_COUNT = 100;

/** uniqueKeys: duplicateKeys does the library's check in one pass. */
const OPTIONS: ComposeOptions = { uniqueKeys: false, prettyErrors: false, strict: true };

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
  // A file without problems is read in parts and keeps only its values' positions; one with problems,
  // aliases or directives is read whole, as the library reads it.
  const composed = composeInParts(text, OPTIONS, { maxAliasCount: MAX_ALIAS_COUNT });
  if (composed) return { source: sourceFile(file, text, composed), problems: [] };
  return parseWhole(file, text);
}

function parseWhole(file: string, text: string): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...OPTIONS, lineCounter });
  const at = (offset: number): Position => lineCounter.linePos(offset);
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
  return {
    source: sourceFile(file, text, { value, located: locatedNode(doc.contents), lineCounter }),
    problems,
  };
}

function sourceFile(
  file: string,
  text: string,
  { value, located, lineCounter }: { value: unknown; located: Located; lineCounter: LineCounter },
): SourceFile {
  const at = (offset: number | undefined): Position => {
    if (offset === undefined) return { line: 1, col: 1 };
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  return {
    file,
    text,
    value,
    locate: (path, options) => at(offsetOf(locatedAt(located, path, options?.key ?? false))),
    scalarAt(path) {
      const scalar = scalarOf(locatedAt(located, path, false));
      return scalar && { offset: scalar.offset, source: text, inline: scalar.inline };
    },
  };
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
