import { isMap, isScalar, isSeq, type Node, type Pair } from "yaml";

/**
 * Where each node of a parsed YAML document starts, by path, kept instead of the document itself: the
 * library's document of a 100,000-step workflow weighs about 100 MB, these two maps a fraction of it, so
 * validation runs with only the plain value and this index alive.
 */

export type Path = ReadonlyArray<string | number>;

/** How a node's text maps to its value: only plain and quoted single-line scalars map 1:1. */
const OTHER = 0;
const PLAIN = 1;
const QUOTED = 2;
const BLOCK = 3;

/**
 * Paths deeper than this point at their ancestor at this depth: a path's key is its whole text, so a
 * deeply nested file would cost the square of its depth, and no check points that deep.
 */
const MAX_DEPTH = 32;
const SEPARATOR = "\u0000";
/** A node without a range (the library gives every parsed node one). */
const NOWHERE = -1;

export interface Located {
  /** Where the node starts. */
  start: number;
  /** Where its text starts: after the opening quote of a quoted scalar. */
  textStart: number;
  /** A plain or quoted single-line scalar: its text from `textStart` reads as its value. */
  inline: boolean;
  scalar: boolean;
}

export class PositionIndex {
  /** A node's start offset times 4 plus its kind (NOWHERE without a range), by path. */
  private readonly values = new Map<string, number>();
  /** Where the key of a map entry starts, by the entry's path. */
  private readonly keys = new Map<string, number>();

  constructor(root: Node | null | undefined) {
    this.values.set("", encode(root));
    const pending: Array<[Node, string, number]> = root ? [[root, "", 0]] : [];
    for (let next = pending.pop(); next; next = pending.pop()) {
      const [node, path, depth] = next;
      if (depth >= MAX_DEPTH) continue;
      if (isMap(node)) {
        for (const pair of node.items as Pair[]) {
          if (!isScalar(pair.key)) continue;
          const child = `${path}${SEPARATOR}${String(pair.key.value)}`;
          // The first of repeated keys, as a lookup in the document finds it.
          if (this.values.has(child)) continue;
          const value = (pair.value ?? pair.key) as Node;
          this.values.set(child, encode(value));
          if (pair.key.range) this.keys.set(child, pair.key.range[0]);
          pending.push([value, child, depth + 1]);
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, i) => {
          if (item === null || item === undefined) return;
          const child = `${path}${SEPARATOR}${i}`;
          this.values.set(child, encode(item as Node));
          pending.push([item as Node, child, depth + 1]);
        });
      }
    }
  }

  /**
   * The node at `path` (with `key`, its key when it is a map entry); for a path that is not there, the
   * deepest node on it that is. Undefined for a node without a position.
   */
  find(path: Path, key = false): Located | undefined {
    let at = "";
    let found = this.values.get(at) ?? NOWHERE;
    let keyOffset: number | undefined;
    for (const segment of path) {
      const next = `${at}${SEPARATOR}${String(segment)}`;
      const value = this.values.get(next);
      if (value === undefined) return decode(found);
      at = next;
      found = value;
      keyOffset = this.keys.get(next);
    }
    if (key && keyOffset !== undefined)
      return { start: keyOffset, textStart: keyOffset, inline: false, scalar: false };
    return decode(found);
  }
}

function encode(node: Node | null | undefined): number {
  const start = node?.range?.[0];
  if (start === undefined) return NOWHERE;
  if (!isScalar(node)) return start * 4 + OTHER;
  if (node.type === "PLAIN") return start * 4 + PLAIN;
  if (node.type === "QUOTE_SINGLE" || node.type === "QUOTE_DOUBLE") return start * 4 + QUOTED;
  return start * 4 + BLOCK;
}

function decode(encoded: number): Located | undefined {
  if (encoded === NOWHERE) return undefined;
  const kind = encoded % 4;
  const start = (encoded - kind) / 4;
  if (kind === BLOCK) return { start, textStart: start, inline: false, scalar: true };
  if (kind === OTHER) return { start, textStart: start, inline: false, scalar: false };
  return { start, textStart: kind === QUOTED ? start + 1 : start, inline: true, scalar: true };
}
