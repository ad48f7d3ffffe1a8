import dagre from "@dagrejs/dagre";

export interface DagStep {
  id: string;
  name: string;
  needs: string[];
}

export const NODE_WIDTH = 180;
export const NODE_HEIGHT = 48;

export interface DagLayout {
  /** Each step's top-left corner. */
  positions: Map<string, { x: number; y: number }>;
  /** Each edge (`need->step`)'s route from dagre: points that pass between the ranks, around nodes. */
  routes: Map<string, { x: number; y: number }[]>;
}

/** Left-to-right positions for the steps, with dagre's layered layout (the one GitHub's graph resembles). */
export function layoutSteps(steps: DagStep[]): Map<string, { x: number; y: number }> {
  return layoutDag(steps).positions;
}

/** A node's size when it is not the default (an unfolded sub-workflow holds its child's graph). */
export type NodeSizes = Map<string, { width: number; height: number }>;

/** Positions and edge routes. */
export function layoutDag(steps: DagStep[], sizes: NodeSizes = new Map()): DagLayout {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 60 });
  graph.setDefaultEdgeLabel(() => ({}));
  const size = (id: string) => sizes.get(id) ?? { width: NODE_WIDTH, height: NODE_HEIGHT };
  for (const step of steps) graph.setNode(step.id, size(step.id));
  const known = new Set(steps.map((s) => s.id));
  for (const step of steps) for (const need of step.needs) if (known.has(need)) graph.setEdge(need, step.id);
  dagre.layout(graph);
  const positions = new Map<string, { x: number; y: number }>();
  for (const step of steps) {
    const node = graph.node(step.id);
    positions.set(step.id, { x: node.x - size(step.id).width / 2, y: node.y - size(step.id).height / 2 });
  }
  const routes = new Map<string, { x: number; y: number }[]>();
  for (const edge of graph.edges()) {
    const points = graph.edge(edge)?.points ?? [];
    routes.set(
      `${edge.v}->${edge.w}`,
      points.map((p: { x: number; y: number }) => ({ x: p.x, y: p.y })),
    );
  }
  return { positions, routes };
}

/**
 * An SVG path from the source handle through the route's inner points to the target handle, with the
 * corners rounded (quadratic curves through each bend's midpoints), so an edge that skips a rank goes
 * around the nodes in it instead of under them.
 */
export function routedPath(
  source: { x: number; y: number },
  inner: { x: number; y: number }[],
  target: { x: number; y: number },
): string {
  const points = [source, ...inner, target];
  if (points.length === 2) {
    const mid = (source.x + target.x) / 2;
    return `M ${source.x} ${source.y} C ${mid} ${source.y}, ${mid} ${target.y}, ${target.x} ${target.y}`;
  }
  let d = `M ${source.x} ${source.y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i]!;
    const next = points[i + 1]!;
    const midX = (p.x + next.x) / 2;
    const midY = (p.y + next.y) / 2;
    d += ` Q ${p.x} ${p.y}, ${i === points.length - 2 ? `${next.x} ${next.y}` : `${midX} ${midY}`}`;
  }
  return d;
}
