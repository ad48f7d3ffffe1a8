import type { StepSpec } from "../format/types.js";

export function needsOf(step: StepSpec | undefined): string[] {
  const needs = step?.needs;
  if (needs === undefined) return [];
  return typeof needs === "string" ? [needs] : needs;
}

/** The first dependency cycle found, each step followed by one it needs, the first repeated at the end. */
export function findCycle(steps: Record<string, StepSpec>): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const seen = state.get(id);
    if (seen === "done") return undefined;
    if (seen === "visiting") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "visiting");
    stack.push(id);
    for (const need of needsOf(steps[id])) {
      if (!(need in steps)) continue;
      const cycle = visit(need);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const id of Object.keys(steps)) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Every step each step depends on, directly or through others. Assumes no cycle. */
export function ancestorsOf(steps: Record<string, StepSpec>): Map<string, Set<string>> {
  const memo = new Map<string, Set<string>>();
  const compute = (id: string): Set<string> => {
    const cached = memo.get(id);
    if (cached) return cached;
    const result = new Set<string>();
    memo.set(id, result);
    for (const need of needsOf(steps[id])) {
      if (!(need in steps)) continue;
      result.add(need);
      for (const a of compute(need)) result.add(a);
    }
    return result;
  };
  for (const id of Object.keys(steps)) compute(id);
  return memo;
}
