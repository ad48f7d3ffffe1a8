import type { NodeRecord } from "./types.js";

/**
 * Node selectors: which inventory nodes a step runs on.
 *
 *     selector := or
 *     or       := and ("or" and)*
 *     and      := unary ("and" unary)*
 *     unary    := ("not" | "!") unary | "(" or ")" | filter
 *     filter   := "*" | field ":" values | pattern        a bare pattern matches the name
 *     values   := value ("," value)*                      any of them
 *     value    := glob | "quoted glob" | 'quoted glob' | /regular expression/
 *
 * Fields: `name`, `host` (or `hostname`), `user` (or `username`), `port`, `tags` (or `tag`: any of the
 * node's tags matches); any other field is an attribute (`env:prod`), which a node without it never
 * matches. A glob matches the whole value, `*` any run of characters and `?` one; a regular expression
 * must match the whole value too. Matching is case-sensitive. Keywords are `and`, `or`, `not` (any case).
 * There is no implicit `and`: `tags:web eu` is an error, not a guess.
 */
export type NodeSelector =
  | { kind: "all" }
  | { kind: "match"; field: string; patterns: RegExp[] }
  | { kind: "not"; of: NodeSelector }
  | { kind: "and" | "or"; of: NodeSelector[] };

/** A selector that cannot be read: `column` (1-based) is where in the text. */
export class NodeSelectorError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(`${message} (column ${column})`);
  }
}

/** The longest selector accepted; inventories are filtered by people, not generated programs. */
export const MAX_SELECTOR_LENGTH = 4096;

const FIELD_ALIASES: Record<string, string> = {
  hostname: "host",
  username: "user",
  tag: "tags",
};
const KEYWORDS = new Set(["and", "or", "not"]);
/** Characters that end a bare word: space, parentheses, quotes, a comma between alternatives. */
const WORD_END = /[\s(),"']/;

export function parseNodeSelector(text: string): NodeSelector {
  if (text.length > MAX_SELECTOR_LENGTH) {
    throw new NodeSelectorError(`a selector may be at most ${MAX_SELECTOR_LENGTH} characters`, 1);
  }
  const parser = new Parser(text);
  return parser.parse();
}

/** Whether a node is selected. */
export function nodeMatches(selector: NodeSelector, node: NodeRecord): boolean {
  switch (selector.kind) {
    case "all":
      return true;
    case "not":
      return !nodeMatches(selector.of, node);
    case "and":
      return selector.of.every((s) => nodeMatches(s, node));
    case "or":
      return selector.of.some((s) => nodeMatches(s, node));
    case "match": {
      const values = fieldValues(node, selector.field);
      return values.some((v) => selector.patterns.some((p) => p.test(v)));
    }
  }
}

/** The nodes a selector picks, in inventory order. */
export function selectNodes<T extends NodeRecord>(selector: NodeSelector, nodes: readonly T[]): T[] {
  return nodes.filter((n) => nodeMatches(selector, n));
}

function fieldValues(node: NodeRecord, field: string): string[] {
  switch (field) {
    case "name":
      return [node.name];
    case "host":
      return [node.host];
    case "user":
      return node.user === undefined ? [] : [node.user];
    case "port":
      return [String(node.port ?? 22)];
    case "tags":
      return node.tags;
    default: {
      const value = node.attributes[field];
      return value === undefined ? [] : [value];
    }
  }
}

interface Word {
  text: string;
  start: number;
}

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parse(): NodeSelector {
    this.skipSpace();
    if (this.pos >= this.text.length) {
      throw new NodeSelectorError(
        "the selector is empty: write e.g. tags:web, name:web-*, env:prod, or * for every node",
        1,
      );
    }
    const selector = this.or();
    this.skipSpace();
    if (this.pos < this.text.length) {
      const at = this.pos;
      if (this.text[at] === ")") throw new NodeSelectorError("')' without a matching '('", at + 1);
      const next = this.peekWord();
      throw new NodeSelectorError(
        `expected 'and' or 'or' before '${next?.text ?? this.text[at]}' (there is no implicit 'and')`,
        at + 1,
      );
    }
    return selector;
  }

  private or(): NodeSelector {
    const parts = [this.and()];
    while (this.keyword("or")) parts.push(this.and());
    return parts.length === 1 ? (parts[0] as NodeSelector) : { kind: "or", of: parts };
  }

  private and(): NodeSelector {
    const parts = [this.unary()];
    while (this.keyword("and")) parts.push(this.unary());
    return parts.length === 1 ? (parts[0] as NodeSelector) : { kind: "and", of: parts };
  }

  private unary(): NodeSelector {
    this.skipSpace();
    if (this.text[this.pos] === "!") {
      this.pos += 1;
      return { kind: "not", of: this.unary() };
    }
    if (this.keyword("not")) return { kind: "not", of: this.unary() };
    if (this.text[this.pos] === "(") {
      const open = this.pos;
      this.pos += 1;
      this.skipSpace();
      if (this.text[this.pos] === ")") throw new NodeSelectorError("'()' holds no filter", open + 1);
      const inner = this.or();
      this.skipSpace();
      if (this.text[this.pos] !== ")") {
        if (this.pos >= this.text.length) throw new NodeSelectorError("'(' is never closed", open + 1);
        const next = this.peekWord();
        throw new NodeSelectorError(
          `expected 'and', 'or' or ')' before '${next?.text ?? this.text[this.pos]}'`,
          this.pos + 1,
        );
      }
      this.pos += 1;
      return inner;
    }
    return this.filter();
  }

  private filter(): NodeSelector {
    this.skipSpace();
    const start = this.pos;
    if (start >= this.text.length) {
      throw new NodeSelectorError("expected a filter (field:value, a node name, or *) at the end", start + 1);
    }
    const c = this.text[start] as string;
    if (c === ")") throw new NodeSelectorError("expected a filter before ')'", start + 1);
    if (c === "," || c === '"' || c === "'") {
      throw new NodeSelectorError(
        `expected a filter (field:value, a node name, or *), got '${c}'`,
        start + 1,
      );
    }
    const word = this.readWord();
    const lower = word.text.toLowerCase();
    if (KEYWORDS.has(lower)) {
      throw new NodeSelectorError(
        `expected a filter (field:value, a node name, or *), got '${word.text}'`,
        start + 1,
      );
    }
    const colon = word.text.indexOf(":");
    if (colon < 0) {
      if (word.text === "*") return { kind: "all" };
      // A bare word names nodes, as Rundeck reads a filter without a field.
      this.pos = start;
      return { kind: "match", field: "name", patterns: this.values() };
    }
    const rawField = word.text.slice(0, colon);
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(rawField)) {
      throw new NodeSelectorError(
        `'${rawField}' is not a field name (letters, digits, _ . -, starting with a letter)`,
        start + 1,
      );
    }
    const field = FIELD_ALIASES[rawField] ?? rawField;
    // `tags: web` (Rundeck's spacing) reads as `tags:web`.
    this.pos = start + colon + 1;
    while (this.text[this.pos] === " ") this.pos += 1;
    const valueStart = this.pos;
    const next = this.text[valueStart];
    const spaced = valueStart > start + colon + 1;
    if (
      next === undefined ||
      /[\s(),]/.test(next) ||
      (spaced && KEYWORDS.has(this.peekWord()?.text.toLowerCase() ?? ""))
    ) {
      throw new NodeSelectorError(`'${rawField}:' needs a value, e.g. ${rawField}:web`, start + colon + 2);
    }
    return { kind: "match", field, patterns: this.values() };
  }

  /** `web,db`: values separated by commas, any of which may match. */
  private values(): RegExp[] {
    const patterns = [this.readValue()];
    while (this.text[this.pos] === ",") {
      this.pos += 1;
      patterns.push(this.readValue());
    }
    return patterns;
  }

  /** One value at the current position: a glob, a quoted glob or a /regular expression/. */
  private readValue(): RegExp {
    const start = this.pos;
    const c = this.text[start];
    if (c === '"' || c === "'") {
      const end = this.text.indexOf(c, start + 1);
      if (end < 0) throw new NodeSelectorError(`the quote ${c} is never closed`, start + 1);
      this.pos = end + 1;
      return globPattern(this.text.slice(start + 1, end));
    }
    if (c === "/") {
      let i = start + 1;
      while (i < this.text.length && this.text[i] !== "/") i += this.text[i] === "\\" ? 2 : 1;
      if (i >= this.text.length) {
        throw new NodeSelectorError("the regular expression is never closed with '/'", start + 1);
      }
      const source = this.text.slice(start + 1, i);
      this.pos = i + 1;
      try {
        return new RegExp(`^(?:${source})$`, "u");
      } catch (error) {
        throw new NodeSelectorError(`invalid regular expression: ${(error as Error).message}`, start + 1);
      }
    }
    if (c === undefined || WORD_END.test(c)) {
      throw new NodeSelectorError(
        `expected a value${c === undefined ? " at the end" : ` before '${c}'`}`,
        start + 1,
      );
    }
    let end = start;
    while (end < this.text.length && !WORD_END.test(this.text[end] as string)) end += 1;
    this.pos = end;
    return globPattern(this.text.slice(start, end));
  }

  /** A word up to a space, parenthesis, quote or comma; for a `field:` the value is read afterwards. */
  private readWord(): Word {
    const start = this.pos;
    let end = start;
    while (end < this.text.length && !WORD_END.test(this.text[end] as string)) end += 1;
    this.pos = end;
    return { text: this.text.slice(start, end), start };
  }

  private peekWord(): Word | undefined {
    const save = this.pos;
    const word = this.readWord();
    this.pos = save;
    return word.text === "" ? undefined : word;
  }

  /** Consumes a keyword (`and`, `or`, `not`, any case) when it comes next as a whole word. */
  private keyword(name: string): boolean {
    this.skipSpace();
    const word = this.peekWord();
    if (!word || word.text.toLowerCase() !== name) return false;
    this.pos = word.start + word.text.length;
    return true;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos += 1;
  }
}

/** A glob (`web-*`, `db-?`) as an anchored regular expression; everything but * and ? is literal. */
function globPattern(glob: string): RegExp {
  let source = "";
  for (const ch of glob) {
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else source += ch.replace(/[\\^$.+()[\]{}|/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "u");
}
