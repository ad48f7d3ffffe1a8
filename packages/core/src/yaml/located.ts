import { isMap, isNode, isPair, isScalar, isSeq, Scalar } from "yaml";

export type Path = ReadonlyArray<string | number>;

/**
 * Where each value of a parsed file starts, without the library's document: validation asks for a
 * position per step and per problem, and the document of a 100,000-step file takes about 100 MB.
 * A scalar or alias is a number (see `leaf`), a map or list an object.
 */
export type Located = number | LocatedMap | LocatedSeq;

/** A value that has no place in the source (the library's pair inside a flow list). */
export const NOWHERE = -1;
// A leaf is its offset times 4 plus its kind.
const NOT_SCALAR = 0;
const PLAIN = 1;
const QUOTED = 2;
const BLOCK = 3;

export interface LocatedEntry {
  key: string;
  keyAt: number;
  value: Located;
}

/** Maps up to this many keys are searched when a path is located; larger ones get an index. */
const SEARCHED_MAP_SIZE = 32;

export class LocatedMap {
  /** Each key's first entry, made when first asked: a search per lookup made a 100,000-step map quadratic. */
  private index: Map<string, LocatedEntry> | undefined;

  constructor(
    public at: number,
    public entries: LocatedEntry[],
  ) {}

  find(segment: string | number): LocatedEntry | undefined {
    const key = String(segment);
    // A small map is searched: an index for each of 100,000 steps' maps would cost more than it saves.
    if (this.entries.length <= SEARCHED_MAP_SIZE) return this.entries.find((e) => e.key === key);
    if (!this.index) {
      this.index = new Map();
      for (const e of this.entries) if (!this.index.has(e.key)) this.index.set(e.key, e);
    }
    return this.index.get(key);
  }
}

export class LocatedSeq {
  constructor(
    public at: number,
    public items: Located[],
  ) {}
}

/** The positions of a node of the library's document and of everything under it. */
export function locatedNode(node: unknown): Located {
  if (!isNode(node) || !node.range) return NOWHERE;
  const at = node.range[0];
  if (isMap(node)) {
    // Made with map() so that each of 100,000 steps' arrays has its own length, not a push()-grown one.
    const entries = node.items.map((pair) =>
      isScalar(pair.key) && pair.key.range
        ? {
            key: String(pair.key.value),
            keyAt: pair.key.range[0],
            value: locatedNode(pair.value ?? pair.key),
          }
        : undefined,
    );
    // Keys that are not scalars cannot be named by a path.
    return new LocatedMap(
      at,
      entries.includes(undefined) ? entries.filter((e) => e !== undefined) : (entries as LocatedEntry[]),
    );
  }
  if (isSeq(node))
    return new LocatedSeq(
      at,
      node.items.map((item) => (isPair(item) ? NOWHERE : locatedNode(item))),
    );
  if (!isScalar(node)) return at * 4 + NOT_SCALAR;
  if (node.type === Scalar.PLAIN) return at * 4 + PLAIN;
  return at * 4 + (node.type === Scalar.QUOTE_SINGLE || node.type === Scalar.QUOTE_DOUBLE ? QUOTED : BLOCK);
}

/**
 * The value at `path`, or with `key`, its key's offset; a path that is not there stops at the nearest
 * existing parent.
 */
export function locatedAt(root: Located, path: Path, key: boolean): Located {
  let node = root;
  let keyAt: number | undefined;
  for (const segment of path) {
    keyAt = undefined;
    if (node instanceof LocatedMap) {
      const entry = node.find(segment);
      if (!entry) return node;
      keyAt = entry.keyAt;
      node = entry.value;
    } else if (
      node instanceof LocatedSeq &&
      node.items[Number(segment)] !== undefined &&
      /^\d+$/.test(String(segment))
    ) {
      // Schema errors name list entries by JSON pointer, so their indexes arrive as strings ("0").
      node = node.items[Number(segment)] as Located;
    } else {
      return node;
    }
  }
  return key && keyAt !== undefined ? keyAt * 4 + NOT_SCALAR : node;
}

/** Where a located value starts; undefined for one with no place. */
export function offsetOf(node: Located): number | undefined {
  if (typeof node !== "number") return node.at;
  return node === NOWHERE ? undefined : Math.floor(node / 4);
}

/** For a scalar, where its text starts and whether its value maps 1:1 onto the source. */
export function scalarOf(node: Located): { offset: number; inline: boolean } | undefined {
  if (typeof node !== "number" || node === NOWHERE) return undefined;
  const kind = node % 4;
  const at = (node - kind) / 4;
  // Only plain and quoted single-line scalars map 1:1 from value offsets to source offsets (after the quote).
  if (kind === PLAIN) return { offset: at, inline: true };
  if (kind === QUOTED) return { offset: at + 1, inline: true };
  if (kind === BLOCK) return { offset: at, inline: false };
  return undefined;
}
