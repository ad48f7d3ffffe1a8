import { describe, expect, it } from "vitest";
import { GroupCommit, GroupCommits } from "./group-commit.js";

/** A write the test finishes by hand: each call waits until the test settles it. */
function controlledWrite() {
  const calls: Array<{ items: number[]; settle: (fail?: (item: number) => boolean) => void }> = [];
  let called: () => void = () => {};
  const write = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({
        items,
        settle: (fail) => {
          const bad = fail ? items.find(fail) : undefined;
          if (bad !== undefined) reject(new Error(`item ${bad} refused`));
          else resolve(items.map((i) => `wrote ${i}`));
        },
      });
      called();
    });
  /** Resolves once the write has been called `n` times in all. */
  const callsReach = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (calls.length >= n) resolve();
        else called = check;
      };
      check();
    });
  return { calls, write, callsReach };
}

describe("GroupCommit", () => {
  it("writes a lone item at once, and those arriving meanwhile together, each with its own result", async () => {
    const w = controlledWrite();
    const group = new GroupCommit(w.write, { maxItems: 10, maxInFlight: 1 });
    const first = group.add(1);
    expect(w.calls.map((c) => c.items)).toEqual([[1]]);
    const rest = [2, 3, 4].map((i) => group.add(i));
    // Nothing else goes while the first write is under way.
    expect(w.calls).toHaveLength(1);
    w.calls[0]?.settle();
    expect(await first).toBe("wrote 1");
    await w.callsReach(2);
    expect(w.calls[1]?.items).toEqual([2, 3, 4]);
    w.calls[1]?.settle();
    expect(await Promise.all(rest)).toEqual(["wrote 2", "wrote 3", "wrote 4"]);
  });

  it("keeps up to maxInFlight writes under way and at most maxItems in one", async () => {
    const w = controlledWrite();
    const group = new GroupCommit(w.write, { maxItems: 2, maxInFlight: 2 });
    const all = [1, 2, 3, 4, 5, 6].map((i) => group.add(i));
    expect(w.calls.map((c) => c.items)).toEqual([[1], [2]]);
    w.calls[0]?.settle();
    await w.callsReach(3);
    expect(w.calls[2]?.items).toEqual([3, 4]);
    w.calls[1]?.settle();
    await w.callsReach(4);
    expect(w.calls[3]?.items).toEqual([5, 6]);
    w.calls[2]?.settle();
    w.calls[3]?.settle();
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `wrote ${i}`));
  });

  it("fails only the item a grouped write refused: the group is tried again one item at a time", async () => {
    const w = controlledWrite();
    const group = new GroupCommit(w.write, { maxItems: 10, maxInFlight: 1 });
    const first = group.add(1);
    const grouped = [2, 3, 4].map((i) => group.add(i).catch((error: Error) => error.message));
    w.calls[0]?.settle();
    await first;
    await w.callsReach(2);
    w.calls[1]?.settle((i) => i === 3);
    await w.callsReach(5);
    expect(w.calls.slice(2).map((c) => c.items)).toEqual([[2], [3], [4]]);
    for (const call of w.calls.slice(2)) call.settle((i) => i === 3);
    expect(await Promise.all(grouped)).toEqual(["wrote 2", "item 3 refused", "wrote 4"]);
  });

  it("rejects a lone item with the write's own error", async () => {
    const w = controlledWrite();
    const group = new GroupCommit(w.write, { maxItems: 10, maxInFlight: 1 });
    const only = group.add(7);
    w.calls[0]?.settle(() => true);
    await expect(only).rejects.toThrow("item 7 refused");
    expect(w.calls).toHaveLength(1);
  });
});

describe("GroupCommits", () => {
  it("makes one group per purpose and database, on first use", () => {
    const groups = new GroupCommits();
    const [a, b] = [{}, {}];
    const make = () => new GroupCommit(async (items: number[]) => items, { maxItems: 10, maxInFlight: 1 });
    const first = groups.of("runs", a, make);
    expect(groups.of("runs", a, make)).toBe(first);
    expect(groups.of("runs", b, make)).not.toBe(first);
    expect(groups.of("audit", a, make)).not.toBe(first);
  });
});
