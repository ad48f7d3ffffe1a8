import { describe, expect, it } from "vitest";
import {
  announcedJobs,
  ClaimShares,
  labelsKeyOf,
  OWED_MS,
  PEER_TTL_MS,
  parseClaimNotice,
} from "./claim-shares.js";

const KEY = labelsKeyOf(["runner:local"]);
const claimed = (workerId: string, free: number, jobIds: number[], labelsKey = KEY) =>
  ({ kind: "claimed", workerId, labelsKey, free, jobIds }) as const;

describe("ClaimShares", () => {
  it("reads the notices and wake-ups as the statements write them", () => {
    expect(parseClaimNotice(`7 ${KEY} 12,13 host-1 w`)).toEqual(claimed("host-1 w", 7, [12, 13]));
    expect(parseClaimNotice("leave host-1")).toEqual({ kind: "leave", workerId: "host-1" });
    expect(parseClaimNotice("garbage")).toBeUndefined();
    expect(announcedJobs("j:4,9")).toEqual([4, 9]);
    for (const other of ["", "reconnected", "1765000000000", "j:", "j:4,x"])
      expect(announcedJobs(other)).toBeUndefined();
  });

  it("claims everything while it knows no other worker, or when full (it cannot take any)", () => {
    const shares = new ClaimShares("w1", KEY);
    expect(shares.announced([1, 2, 3], 4, 0)).toBe(true);
    expect(shares.owedNow()).toEqual([]);
    shares.heard(claimed("w2", 3, [5]), 0);
    expect(shares.announced([7], 0, 0)).toBe(true);
  });

  it("shares announced jobs with the workers of its labels that have free slots: each job is one's", () => {
    const one = new ClaimShares("w1", KEY);
    const two = new ClaimShares("w2", KEY);
    one.heard(claimed("w2", 4, []), 0);
    two.heard(claimed("w1", 4, []), 0);
    // A worker of other labels, and one that was full at its last claim, get no share.
    for (const shares of [one, two]) {
      shares.heard(claimed("gpu", 4, [], labelsKeyOf(["gpu", "runner:local"])), 0);
      shares.heard(claimed("full", 0, []), 0);
    }
    let mine = 0;
    for (let id = 1; id < 400; id += 2) {
      const a = one.announced([id], 4, 0);
      const b = two.announced([id], 4, 0);
      expect(a).not.toBe(b);
      if (a) mine++;
    }
    // Consecutive runs' first jobs (ids of one parity) spread over both.
    expect(mine).toBeGreaterThan(70);
    expect(mine).toBeLessThan(130);
  });

  it("owes the others' jobs until a claim is heard taking them, or its own claim found the queue empty", () => {
    const shares = new ClaimShares("w1", KEY);
    shares.heard(claimed("w2", 4, []), 0);
    const theirs = [1, 3, 5, 7, 9, 11, 13].filter((id) => !shares.announced([id], 4, 100));
    expect(theirs.length).toBeGreaterThan(1);
    expect(shares.owedNow()).toEqual(theirs);
    expect(shares.nextDue()).toBe(100 + OWED_MS);
    shares.heard(claimed("w2", 3, [theirs[0] as number]), 110);
    expect(shares.owedNow()).toEqual(theirs.slice(1));
    shares.settled([theirs[1] as number]);
    expect(shares.owedNow()).toEqual(theirs.slice(2));
    expect(shares.takeDue(100 + OWED_MS - 1)).toBe(false);
    expect(shares.takeDue(100 + OWED_MS)).toBe(true);
    expect(shares.owedNow()).toEqual([]);
    expect(shares.nextDue()).toBeUndefined();
  });

  it("forgets a worker that left, or that it has not heard of for a while", () => {
    const shares = new ClaimShares("w1", KEY);
    shares.heard(claimed("w2", 4, []), 0);
    shares.heard({ kind: "leave", workerId: "w2" }, 1);
    expect([1, 3, 5, 7, 9].every((id) => shares.announced([id], 4, 2))).toBe(true);
    shares.heard(claimed("w3", 4, []), 0);
    expect([1, 3, 5, 7, 9].every((id) => shares.announced([id], 4, PEER_TTL_MS + 1))).toBe(true);
  });
});
