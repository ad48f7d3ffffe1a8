/**
 * A cycle in a directed graph (each node's successors), as the path that closes it (`a -> b -> a`), or
 * undefined. `ignoreSelfLoops` skips edges from a node to itself (an input whose options read its own value
 * is no cycle; a workflow that calls itself is one).
 */
export function findCycle(
  graph: Map<string, string[]>,
  options: { ignoreSelfLoops?: boolean } = {},
): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "visiting") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "visiting");
    stack.push(id);
    for (const next of graph.get(id) ?? []) {
      if (options.ignoreSelfLoops && next === id) continue;
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const id of graph.keys()) {
    const found = visit(id);
    if (found) return found;
  }
  return undefined;
}
