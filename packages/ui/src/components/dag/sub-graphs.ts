import type { ChildRunGraph } from "@/lib/api";
import { type DagLayout, type DagStep, layoutDag, NODE_HEIGHT, NODE_WIDTH, type NodeSizes } from "./layout";

/** Room around an unfolded child's graph inside its parent's node, below the node's own header. */
export const SUB_PADDING = 12;

/** A sub-workflow step's child run, as its node unfolds it. */
export interface SubGraph {
  child: ChildRunGraph;
  /** How many child runs the step started (a for_each or matrix step starts one per item). */
  runs: number;
  layout: DagLayout;
  width: number;
  height: number;
}

/**
 * The child run each sub-workflow step shows when unfolded: its latest attempt's first item (the
 * node's header says how many runs there are), laid out as its own graph inside the node.
 */
export function subGraphs(children: ChildRunGraph[]): Map<string, SubGraph> {
  const byStep = new Map<string, ChildRunGraph[]>();
  for (const child of children) byStep.set(child.step, [...(byStep.get(child.step) ?? []), child]);
  const out = new Map<string, SubGraph>();
  for (const [step, runs] of byStep) {
    const latest = Math.max(...runs.map((r) => r.attempt));
    const child = runs
      .filter((r) => r.attempt === latest)
      .sort((a, b) => a.index - b.index)[0] as ChildRunGraph;
    const layout = layoutDag(child.steps);
    const right = Math.max(0, ...[...layout.positions.values()].map((p) => p.x + NODE_WIDTH));
    const bottom = Math.max(0, ...[...layout.positions.values()].map((p) => p.y + NODE_HEIGHT));
    out.set(step, {
      child,
      runs: runs.length,
      layout,
      width: Math.max(NODE_WIDTH, right + 2 * SUB_PADDING),
      height: NODE_HEIGHT + bottom + 2 * SUB_PADDING,
    });
  }
  return out;
}

/** The sizes of the unfolded nodes, for the parent graph's layout. */
export function unfoldedSizes(graphs: Map<string, SubGraph>, expanded: Set<string>): NodeSizes {
  const sizes: NodeSizes = new Map();
  for (const step of expanded) {
    const graph = graphs.get(step);
    if (graph) sizes.set(step, { width: graph.width, height: graph.height });
  }
  return sizes;
}

/** A child's step inside its parent's node: its position there, and an id that cannot clash. */
export function innerNodes(
  step: string,
  graph: SubGraph,
): (DagStep & { nodeId: string; status: string; x: number; y: number })[] {
  return graph.child.steps.map((s) => {
    const p = graph.layout.positions.get(s.id) ?? { x: 0, y: 0 };
    return { ...s, nodeId: `${step}/${s.id}`, x: SUB_PADDING + p.x, y: NODE_HEIGHT + SUB_PADDING + p.y };
  });
}
