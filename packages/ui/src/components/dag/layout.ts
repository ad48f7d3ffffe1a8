import dagre from "@dagrejs/dagre";

export interface DagStep {
  id: string;
  name: string;
  needs: string[];
}

export const NODE_WIDTH = 180;
export const NODE_HEIGHT = 48;

/** Left-to-right positions for the steps, with dagre's layered layout (the one GitHub's graph resembles). */
export function layoutSteps(steps: DagStep[]): Map<string, { x: number; y: number }> {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 60 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const step of steps) graph.setNode(step.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  const known = new Set(steps.map((s) => s.id));
  for (const step of steps) for (const need of step.needs) if (known.has(need)) graph.setEdge(need, step.id);
  dagre.layout(graph);
  const positions = new Map<string, { x: number; y: number }>();
  for (const step of steps) {
    const node = graph.node(step.id);
    positions.set(step.id, { x: node.x - NODE_WIDTH / 2, y: node.y - NODE_HEIGHT / 2 });
  }
  return positions;
}
