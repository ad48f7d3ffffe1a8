import {
  Composer,
  type CST,
  type Document,
  type DocumentOptions,
  isMap,
  isNode,
  isScalar,
  Lexer,
  LineCounter,
  type ParseOptions,
  Parser,
  type SchemaOptions,
  type ToJSOptions,
} from "yaml";
import { duplicateKeys } from "./duplicate-keys.js";
import { type Located, LocatedMap, locatedNode } from "./located.js";

export type ComposeOptions = ParseOptions & DocumentOptions & SchemaOptions;

/**
 * Entries of the top-level `steps:` map composed at a time. The library's syntax tree of a whole
 * 100,000-step file takes about 180 MB and its document about 100 MB; composed in parts of this size,
 * only one part's tree and document exist at once. With parts of 1000 steps the peak memory of
 * `gantry validate` of such a file varied from 330 to 430 MB between runs; with 200 it stayed near 330.
 */
export const STEPS_PER_PART = 200;

export interface ComposedFile {
  value: unknown;
  located: Located;
  lineCounter: LineCounter;
  /** The most `steps:` entries the syntax tree held at once. */
  heldSteps: number;
}

/** Tokens that may stand between `steps:` and its map: an anchor or a tag there keeps the map whole. */
const PLAIN_SEPARATORS = new Set(["map-value-ind", "space", "newline", "comment"]);

interface Part {
  value: Record<string, unknown>;
  located: LocatedMap;
  /** Where its last entry ends. */
  end: number;
}

/**
 * The value and positions of a file, read with the library's own Lexer, Parser and Composer, with the
 * top-level `steps:` map's entries composed and converted a part at a time while the rest is still
 * being read, then put back in front of the entries composed with the rest. Undefined when the file
 * must be read whole: it has a problem (so that the problems come in the library's order), an alias
 * (which may point into another part), a directive, a second document, or a merge key among the steps.
 */
export function composeInParts(
  text: string,
  options: ComposeOptions,
  toJS: ToJSOptions,
  stepsPerPart = STEPS_PER_PART,
): ComposedFile | undefined {
  const lineCounter = new LineCounter();
  const parser = new Parser(lineCounter.addNewLine);
  // Parser.parse() marks the first line itself; feeding it lexemes one by one does not.
  lineCounter.addNewLine(0);
  const tokens: CST.Token[] = [];
  const parts: Part[] = [];
  const stepKeys = new Set<unknown>();
  // The `steps:` map's token once entries were taken out of it, and where it started.
  let steps: { token: CST.BlockMap; offset: number } | undefined;
  let heldSteps = 0;
  for (const lexeme of new Lexer().lex(text)) {
    // An alias indicator or a directive's `%` (a scalar's text can start with neither).
    if (lexeme[0] === "*" || lexeme[0] === "%") return undefined;
    for (const token of parser.next(lexeme)) {
      if (token.type === "document") return undefined;
      tokens.push(token);
    }
    const map = stepsBeingRead(parser.stack);
    if (!map) continue;
    heldSteps = Math.max(heldSteps, map.items.length);
    // The parser only ever changes a map's last entry, and an entry before one that has its key is done.
    if (map.items.length <= stepsPerPart || !map.items[map.items.length - 1]?.sep) continue;
    const part = composePart(
      map,
      map.items.splice(0, map.items.length - 1),
      parts.at(-1),
      options,
      toJS,
      stepKeys,
    );
    if (!part) return undefined;
    parts.push(part);
    steps = { token: map, offset: steps?.offset ?? map.offset };
  }
  for (const token of parser.end()) tokens.push(token);

  // The entries left are composed with the rest, from where the last part ended, as in a whole map.
  const last = parts.at(-1);
  if (steps && last) steps.token.offset = last.end;
  const doc = composeOnly(tokens, text.length, options);
  if (!doc) return undefined;
  const rest = isMap(doc.contents)
    ? doc.contents.items.find((p) => isMap(p.value) && p.value.range?.[0] === steps?.token.offset)
    : undefined;
  if (steps && !(rest && isMap(rest.value))) return undefined;
  if (rest && isMap(rest.value) && !sameKeysUnseen(rest.value.items, stepKeys)) return undefined;
  const value = convert(doc, toJS);
  if (!value.ok) return undefined;
  const located = locatedNode(doc.contents);
  if (!steps || !rest || !(located instanceof LocatedMap))
    return { value: value.value, located, lineCounter, heldSteps };

  const restValue = (value.value as Record<string, unknown>).steps as Record<string, unknown>;
  const all: Record<string, unknown> = {};
  for (const part of parts) copyEntries(part.value, all);
  copyEntries(restValue, all);
  (value.value as Record<string, unknown>).steps = all;
  const restLocated = located.find("steps")?.value;
  if (!(restLocated instanceof LocatedMap)) return undefined;
  restLocated.at = steps.offset;
  restLocated.entries = parts.flatMap((p) => p.located.entries).concat(restLocated.entries);
  return { value: value.value, located, lineCounter, heldSteps };
}

/** The `steps:` map of the top-level map while its entries are being read, from the parser's stack. */
function stepsBeingRead(stack: CST.Token[]): CST.BlockMap | undefined {
  const [document, root, steps] = stack;
  if (document?.type !== "document" || root?.type !== "block-map" || steps?.type !== "block-map")
    return undefined;
  const entry = root.items[root.items.length - 1];
  if (
    !entry?.sep ||
    entry.value !== undefined ||
    entry.key?.type !== "scalar" ||
    entry.key.source !== "steps"
  )
    return undefined;
  return entry.sep.every((t) => PLAIN_SEPARATORS.has(t.type)) ? steps : undefined;
}

/** Entries of `steps` composed as a map of their own; undefined when anything is wrong with them. */
function composePart(
  steps: CST.BlockMap,
  items: CST.BlockMap["items"],
  previous: Part | undefined,
  options: ComposeOptions,
  toJS: ToJSOptions,
  stepKeys: Set<unknown>,
): Part | undefined {
  // Offsets in the tokens are the file's, so the nodes' ranges are too. The map starts where the entry
  // before these ended, as the library reads each entry on from there when it composes the map whole.
  const offset = previous ? previous.end : steps.offset;
  const value: CST.BlockMap = { type: "block-map", offset, indent: steps.indent, items };
  const doc = composeOnly([{ type: "document", offset, start: [], value }], 0, options);
  if (!doc || !isMap(doc.contents) || !sameKeysUnseen(doc.contents.items, stepKeys)) return undefined;
  const converted = convert(doc, toJS);
  const located = locatedNode(doc.contents);
  if (!converted.ok || !(located instanceof LocatedMap)) return undefined;
  const lastPair = doc.contents.items.at(-1);
  const lastNode = lastPair?.value ?? lastPair?.key;
  const end = isNode(lastNode) && lastNode.range ? lastNode.range[2] : offset;
  return { value: converted.value as Record<string, unknown>, located, end };
}

/** The stream's one document, when the library found nothing wrong in it and no repeated key. */
function composeOnly(
  tokens: CST.Token[],
  length: number,
  options: ComposeOptions,
): Document.Parsed | undefined {
  const docs = [...new Composer(options).compose(tokens, true, length)];
  const doc = docs[0];
  if (docs.length !== 1 || !doc || doc.errors.length > 0 || duplicateKeys(doc).length > 0) return undefined;
  return doc;
}

/**
 * Adds the keys of one part of the `steps:` map to those seen; false when one was seen before or is a
 * merge key (which takes in only the keys its own map does not have).
 */
function sameKeysUnseen(items: ReadonlyArray<{ key: unknown }>, seen: Set<unknown>): boolean {
  for (const { key } of items) {
    if (!isScalar(key)) continue;
    if (key.value === "<<" || seen.has(key.value)) return false;
    seen.add(key.value);
  }
  return true;
}

function convert(doc: Document.Parsed, options: ToJSOptions): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: doc.toJS(options) };
  } catch {
    return { ok: false };
  }
}

/** Copies a map's entries in order; `__proto__` as an own key, as the library sets it. */
function copyEntries(from: Record<string, unknown>, to: Record<string, unknown>): void {
  for (const key of Object.keys(from)) {
    if (key === "__proto__")
      Object.defineProperty(to, key, {
        value: from[key],
        writable: true,
        enumerable: true,
        configurable: true,
      });
    else to[key] = from[key];
  }
}
