import { type Document, isScalar, type Node, visit } from "yaml";

/**
 * Scalar keys that appear a second time in their map (the second one), in one pass over the document.
 * The library's own check compares each key with every earlier one of its map: a 100,000-step workflow
 * took minutes.
 */
export function duplicateKeys(doc: Document): Node[] {
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
