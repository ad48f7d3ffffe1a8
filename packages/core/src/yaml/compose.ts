import {
  Composer,
  type CST,
  type Document,
  type DocumentOptions,
  isMap,
  isNode,
  Lexer,
  LineCounter,
  type Pair,
  type ParsedNode,
  type ParseOptions,
  Parser,
  parseDocument,
  type SchemaOptions,
  YAMLParseError,
} from "yaml";

type ParsedPair = Pair<ParsedNode, ParsedNode | null>;

export type ComposeOptions = ParseOptions & DocumentOptions & SchemaOptions;

/**
 * Entries of the top-level `steps:` map composed at a time. The library's syntax tree of a whole
 * 100,000-step file takes about 180 MB next to the document made from it; composed in parts of this
 * size, only one part's tree exists at once.
 */
export const STEPS_PER_PART = 1000;

export interface ComposedDocument {
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** The most `steps:` entries the syntax tree held at once (all of them when composed whole). */
  heldSteps: number;
}

/** Tokens that may stand between `steps:` and its map: an anchor or a tag there keeps the map whole. */
const PLAIN_SEPARATORS = new Set(["map-value-ind", "space", "newline", "comment"]);

/**
 * The document `parseDocument` would give, made with the library's own Lexer, Parser and Composer, but
 * with the top-level `steps:` map's entries composed a part at a time while the rest is still being
 * read, then put back in front of the entries composed with the rest. When anything in the file is
 * wrong, or the stream holds directives or a second document, the file is parsed whole again, so
 * errors come with the same positions and in the same order as from `parseDocument`.
 */
export function composeDocument(
  text: string,
  options: ComposeOptions,
  stepsPerPart = STEPS_PER_PART,
): ComposedDocument {
  const lineCounter = new LineCounter();
  const parser = new Parser(lineCounter.addNewLine);
  // Parser.parse() marks the first line itself; feeding it lexemes one by one does not.
  lineCounter.addNewLine(0);
  const tokens: CST.Token[] = [];
  const parts: ParsedPair[][] = [];
  // The `steps:` map's token once entries were taken out of it, and where it started.
  let stepsMap: { token: CST.BlockMap; offset: number } | undefined;
  let splitting = true;
  let heldSteps = 0;
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) {
      tokens.push(token);
      // Directives change how the rest is read, and only the first document is kept.
      if (token.type === "directive" || token.type === "document") splitting = false;
    }
    if (!splitting) continue;
    const steps = stepsBeingRead(parser.stack);
    if (!steps) continue;
    heldSteps = Math.max(heldSteps, steps.items.length);
    // The parser only ever changes a map's last entry, and an entry before one that has its key is done.
    if (steps.items.length <= stepsPerPart || !steps.items[steps.items.length - 1]?.sep) continue;
    const part = composePart(steps, steps.items.splice(0, steps.items.length - 1), options, parts.at(-1));
    if (!part) return whole(text, options);
    parts.push(part);
    stepsMap = { token: steps, offset: stepsMap?.offset ?? steps.offset };
  }
  for (const token of parser.end()) tokens.push(token);
  if (!stepsMap) return { doc: composeFirst(tokens, text.length, options), lineCounter, heldSteps };

  // The entries left are composed with the rest, starting where the last part ended, as in a whole map.
  stepsMap.token.offset = partEnd(parts.at(-1));
  const doc = composeFirst(tokens, text.length, options);
  const map = isMap(doc.contents)
    ? doc.contents.items.find((p) => isMap(p.value) && p.value.range?.[0] === stepsMap?.token.offset)?.value
    : undefined;
  if (doc.errors.length > 0 || !isMap(map) || !map.range) return whole(text, options);
  map.range[0] = stepsMap.offset;
  map.items = ([] as ParsedPair[]).concat(...parts, map.items);
  return { doc, lineCounter, heldSteps };
}

/** The `steps:` map of the top-level map while its entries are being read, from the parser's stack. */
function stepsBeingRead(stack: CST.Token[]): CST.BlockMap | undefined {
  const [document, root, steps] = stack;
  if (document?.type !== "document" || root?.type !== "block-map" || steps?.type !== "block-map")
    return undefined;
  const entry = root.items[root.items.length - 1];
  if (!entry?.sep || entry.value !== undefined || entry.key?.type !== "scalar" || entry.key.source !== "steps")
    return undefined;
  return entry.sep.every((t) => PLAIN_SEPARATORS.has(t.type)) ? steps : undefined;
}

/** Entries of `steps` composed as a map of their own; undefined when the library found anything wrong. */
function composePart(
  steps: CST.BlockMap,
  items: CST.BlockMap["items"],
  options: ComposeOptions,
  previous: ParsedPair[] | undefined,
): ParsedPair[] | undefined {
  // Offsets in the tokens are the file's, so the nodes' ranges are too. The map starts where the entry
  // before these ended, as the library reads each entry on from there when it composes the map whole.
  const offset = previous ? partEnd(previous) : steps.offset;
  const value: CST.BlockMap = { type: "block-map", offset, indent: steps.indent, items };
  const docs = [...new Composer(options).compose([{ type: "document", offset, start: [], value }])];
  const doc = docs[0];
  if (docs.length !== 1 || !doc || doc.errors.length > 0 || !isMap(doc.contents)) return undefined;
  return doc.contents.items;
}

/** Where the last entry of a part ends. */
function partEnd(part: ParsedPair[] | undefined): number {
  const last = part?.at(-1);
  const node = last?.value ?? last?.key;
  return isNode(node) && node.range ? node.range[2] : 0;
}

/** The first document of the stream, as parseDocument composes it. */
function composeFirst(tokens: CST.Token[], length: number, options: ComposeOptions): Document.Parsed {
  let doc: Document.Parsed | undefined;
  for (const next of new Composer(options).compose(tokens, true, length)) {
    if (!doc) doc = next;
    else {
      doc.errors.push(
        new YAMLParseError(
          [next.range[0], next.range[1]],
          "MULTIPLE_DOCS",
          "Source contains multiple documents; please use YAML.parseAllDocuments()",
        ),
      );
      break;
    }
  }
  // compose() with forceDoc always yields a document.
  return doc as Document.Parsed;
}

function whole(text: string, options: ComposeOptions): ComposedDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...options, lineCounter });
  const steps = isMap(doc.contents) ? doc.contents.get("steps", true) : undefined;
  return { doc, lineCounter, heldSteps: isMap(steps) ? steps.items.length : 0 };
}
