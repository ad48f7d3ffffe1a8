import { describe, expect, it } from "vitest";
import { layoutDag, NODE_HEIGHT, NODE_WIDTH, routedPath } from "./layout";

describe("the DAG's layout", () => {
  it("routes an edge that skips a rank around the node in it", () => {
    // a -> b -> c, and a -> c skipping b: drawn straight, a -> c would cross b.
    const { positions, routes } = layoutDag([
      { id: "a", name: "a", needs: [] },
      { id: "b", name: "b", needs: ["a"] },
      { id: "c", name: "c", needs: ["a", "b"] },
    ]);
    const b = positions.get("b")!;
    const route = routes.get("a->c")!;
    expect(route.length).toBeGreaterThan(2);
    const inside = (p: { x: number; y: number }) =>
      p.x > b.x && p.x < b.x + NODE_WIDTH && p.y > b.y && p.y < b.y + NODE_HEIGHT;
    expect(route.filter(inside)).toEqual([]);
    // The route's bend in b's rank is above or below b, not through it.
    const inRank = route.filter((p) => p.x >= b.x && p.x <= b.x + NODE_WIDTH);
    expect(inRank.length).toBeGreaterThan(0);
  });

  it("draws a path from the source handle through the bends to the target handle", () => {
    expect(routedPath({ x: 0, y: 0 }, [], { x: 100, y: 50 })).toBe("M 0 0 C 50 0, 50 50, 100 50");
    expect(routedPath({ x: 0, y: 0 }, [{ x: 50, y: -40 }], { x: 100, y: 0 })).toBe("M 0 0 Q 50 -40, 100 0");
  });
});
