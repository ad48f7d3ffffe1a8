/**
 * A cycle in a directed graph (each node's successors), as the path that closes it (`a -> b -> a`), or
 * undefined. `ignoreSelfLoops` skips edges from a node to itself (an input whose options read its own value
 * is no cycle; a workflow that calls itself is one). A depth-first search with a stack of its own: a
 * 100,000-step chain is deeper than the call stack.
 */
export function findCycle(
  graph: Map<string, readonly string[]>,
  options: { ignoreSelfLoops?: boolean } = {},
): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  // The path from the search's root, and for each node on it the index of the next successor to try.
  const path: string[] = [];
  const next: number[] = [];
  // Where each node on the path sits in it, so a cycle's start is found without a search.
  const position = new Map<string, number>();
  for (const root of graph.keys()) {
    if (state.has(root)) continue;
    state.set(root, "visiting");
    position.set(root, 0);
    path.push(root);
    next.push(0);
    while (path.length > 0) {
      const top = path.length - 1;
      const id = path[top] as string;
      const successors = graph.get(id) ?? [];
      const i = next[top] as number;
      if (i >= successors.length) {
        path.pop();
        next.pop();
        position.delete(id);
        state.set(id, "done");
        continue;
      }
      next[top] = i + 1;
      const successor = successors[i] as string;
      if (options.ignoreSelfLoops && successor === id) continue;
      const seen = state.get(successor);
      if (seen === "done") continue;
      if (seen === "visiting") return [...path.slice(position.get(successor)), successor];
      state.set(successor, "visiting");
      position.set(successor, path.length);
      path.push(successor);
      next.push(0);
    }
  }
  return undefined;
}
