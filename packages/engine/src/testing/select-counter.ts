import { type KyselyPlugin, SelectQueryNode } from "kysely";

/** A Kysely plugin counting the SELECT statements of a database handle it is added to (`withPlugin`). */
export function selectCounter(): { plugin: KyselyPlugin; readonly reads: number } {
  let reads = 0;
  return {
    plugin: {
      transformQuery({ node }) {
        if (SelectQueryNode.is(node)) reads++;
        return node;
      },
      transformResult: async ({ result }) => result,
    },
    get reads() {
      return reads;
    },
  };
}
