import { describe, expect, it } from "vitest";
import type { ChildRunGraph } from "@/lib/api";
import { layoutDag, NODE_HEIGHT, NODE_WIDTH } from "./layout";
import { innerNodes, SUB_PADDING, subGraphs, unfoldedSizes } from "./sub-graphs";

const child = (over: Partial<ChildRunGraph>): ChildRunGraph => ({
  id: "c1",
  workflow: "deploy-one",
  status: "running",
  step: "api",
  index: 0,
  attempt: 1,
  steps: [
    { id: "build", name: "build", needs: [], status: "succeeded" },
    { id: "push", name: "push", needs: ["build"], status: "running" },
  ],
  ...over,
});

describe("sub-workflow nodes unfolded in the graph", () => {
  it("holds the child's graph below the node's header, and grows the node to fit it", () => {
    const graphs = subGraphs([child({})]);
    const api = graphs.get("api")!;
    expect(api.runs).toBe(1);
    // Two steps in a row: two node widths, a rank apart, plus the padding each side.
    expect(api.width).toBeGreaterThan(2 * NODE_WIDTH + 2 * SUB_PADDING);
    expect(api.height).toBe(NODE_HEIGHT + NODE_HEIGHT + 2 * SUB_PADDING);
    const inner = innerNodes("api", api);
    expect(inner.map((n) => [n.nodeId, n.status])).toEqual([
      ["api/build", "succeeded"],
      ["api/push", "running"],
    ]);
    expect(inner[0]).toMatchObject({ x: SUB_PADDING, y: NODE_HEIGHT + SUB_PADDING });
    expect(inner[1]!.x).toBeGreaterThan(inner[0]!.x + NODE_WIDTH);
    expect(unfoldedSizes(graphs, new Set(["api", "other"]))).toEqual(
      new Map([["api", { width: api.width, height: api.height }]]),
    );
  });

  it("shows a re-tried step's latest child, and counts a for_each step's runs", () => {
    const graphs = subGraphs([
      child({ id: "old", attempt: 1 }),
      child({ id: "new-1", attempt: 2, index: 1 }),
      child({ id: "new-0", attempt: 2, index: 0 }),
    ]);
    expect(graphs.get("api")?.child.id).toBe("new-0");
    expect(graphs.get("api")?.runs).toBe(3);
  });

  it("lays the parent graph out around an unfolded node's size", () => {
    const steps = [
      { id: "a", name: "a", needs: [] },
      { id: "b", name: "b", needs: ["a"] },
    ];
    const wide = layoutDag(steps, new Map([["a", { width: 600, height: 300 }]]));
    expect(wide.positions.get("b")!.x).toBeGreaterThanOrEqual(wide.positions.get("a")!.x + 600);
  });
});
