import type { StepSpec } from "../format/types.js";
import { findCycle } from "../validate/find-cycle.js";

export function needsOf(step: StepSpec | undefined): string[] {
  const needs = step?.needs;
  if (needs === undefined) return [];
  return typeof needs === "string" ? [needs] : needs;
}

/** The first dependency cycle found, each step followed by one it needs, the first repeated at the end. */
export function findStepCycle(steps: Record<string, StepSpec>): string[] | undefined {
  const graph = new Map<string, string[]>();
  for (const id of Object.keys(steps))
    graph.set(
      id,
      needsOf(steps[id]).filter((need) => need in steps),
    );
  return findCycle(graph);
}

/**
 * The steps one step depends on, directly or through others, found when asked. `has` walks up the
 * needs only until it meets the step asked for (a reference to a direct need costs one look); the
 * whole set is made only when iterated, and kept. A map of every step's ancestors, made up front,
 * costs n² for a chain: a 10,000-step chain held 50 million entries (1.8 GB) in each planner.
 * Steps in `needs` that do not exist are left out; a cycle ends the walk where it closes.
 */
export class Ancestors implements ReadonlySet<string> {
  private all: Set<string> | undefined;

  constructor(
    private readonly steps: Readonly<Record<string, StepSpec>>,
    private readonly id: string,
  ) {}

  has(name: string): boolean {
    if (this.all) return this.all.has(name);
    return name in this.steps && this.walk(name);
  }

  /** Walks up the needs; true as soon as `target` is met, else the whole ancestry is kept. */
  private walk(target?: string): boolean {
    const seen = new Set<string>();
    const queue = [this.id];
    for (let i = 0; i < queue.length; i++) {
      for (const need of needsOf(this.steps[queue[i] as string])) {
        if (seen.has(need) || !(need in this.steps)) continue;
        if (need === target) return true;
        seen.add(need);
        queue.push(need);
      }
    }
    this.all = seen;
    return false;
  }

  private set(): Set<string> {
    if (!this.all) this.walk();
    return this.all as Set<string>;
  }

  get size(): number {
    return this.set().size;
  }

  forEach(callback: (value: string, key: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    for (const value of this.set()) callback.call(thisArg, value, value, this);
  }

  entries(): SetIterator<[string, string]> {
    return this.set().entries();
  }

  keys(): SetIterator<string> {
    return this.set().keys();
  }

  values(): SetIterator<string> {
    return this.set().values();
  }

  [Symbol.iterator](): SetIterator<string> {
    return this.set()[Symbol.iterator]();
  }
}

/** Every step each step depends on, each set made when first used (see Ancestors). */
export function ancestorsOf(steps: Record<string, StepSpec>): Map<string, Ancestors> {
  const map = new Map<string, Ancestors>();
  for (const id of Object.keys(steps)) map.set(id, new Ancestors(steps, id));
  return map;
}

/** Every step that depends on `step`, directly or through others: one walk down the reversed needs. */
export function dependentsOf(steps: Record<string, StepSpec>, step: string): Set<string> {
  const needers = new Map<string, string[]>();
  for (const [id, spec] of Object.entries(steps))
    for (const need of needsOf(spec)) {
      const list = needers.get(need);
      if (list) list.push(id);
      else needers.set(need, [id]);
    }
  const found = new Set<string>();
  const stack = [step];
  while (stack.length > 0)
    for (const next of needers.get(stack.pop() as string) ?? [])
      if (!found.has(next) && next !== step) {
        found.add(next);
        stack.push(next);
      }
  return found;
}
