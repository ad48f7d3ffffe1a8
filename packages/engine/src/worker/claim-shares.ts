import { createHash } from "node:crypto";

/**
 * How long a claim can take to be heard of before the other workers claim an announced job
 * themselves: a designated worker that is busy, stopped, crashed or cut from its LISTEN connection
 * costs its share of jobs this much latency, never a stranded job.
 */
export const OWED_MS = 50;
/** A worker not heard claiming for this long no longer gets a share. */
export const PEER_TTL_MS = 30_000;

/**
 * The claims port: what every claim took, as the claim statement announced it on the "claims" channel
 * (store/queries/claim-jobs-with-runs.ts), and a goodbye for a worker that stops. Only for workers on
 * Postgres with a LISTEN connection: without it, every wake-up is claimed by every worker, as before.
 */
export interface ClaimNotices {
  subscribe(handler: (payload: string) => void): () => void;
  leave(workerId: string): Promise<void>;
}

/** One claim as announced: `<free slots after> <md5 of labels JSON> <job ids> <worker id>`, or `leave <worker id>`. */
export type ClaimNotice =
  | { kind: "claimed"; workerId: string; labelsKey: string; free: number; jobIds: number[] }
  | { kind: "leave"; workerId: string };

export function parseClaimNotice(payload: string): ClaimNotice | undefined {
  if (payload.startsWith("leave ")) return { kind: "leave", workerId: payload.slice(6) };
  const [free, labelsKey, ids, ...rest] = payload.split(" ");
  const workerId = rest.join(" ");
  if (!free || !labelsKey || ids === undefined || !workerId) return undefined;
  return {
    kind: "claimed",
    workerId,
    labelsKey,
    free: Number(free),
    jobIds: ids === "" ? [] : ids.split(",").map(Number).filter(Number.isFinite),
  };
}

/** The ids a run's creation announced with its wake-up (`j:<id>,<id>…`); undefined for any other payload. */
export function announcedJobs(payload: string): number[] | undefined {
  if (!/^j:\d+(,\d+)*$/.test(payload)) return undefined;
  return payload.slice(2).split(",").map(Number);
}

export const labelsKeyOf = (labels: string[]) =>
  createHash("md5").update(JSON.stringify(labels)).digest("hex");

/**
 * Which worker claims a job a run's creation announced, so that one claim, not one per worker, follows
 * each wake-up (two workers both claimed every new run's job, and one found nothing: a statement per
 * run). Every worker hears every claim (ClaimNotices), so each knows the workers with its own labels
 * that claim, and which had free slots after their last claim; a job's share goes to one of those (and
 * this worker, when it has a free slot) by a hash of its id. The others owe it: they claim it anyway
 * OWED_MS later unless they heard a claim take it meanwhile, or their own claim found the queue empty
 * after it was announced. Views that differ between workers (one just started, stopped, filled up) cost
 * a claim that finds nothing, or OWED_MS of latency, never a job left unclaimed while a slot is free.
 */
export class ClaimShares {
  private readonly peers = new Map<string, { free: number; seen: number }>();
  /** Announced jobs this worker left to another, and when it claims them itself. */
  private readonly owed = new Map<number, number>();

  constructor(
    private readonly self: string,
    private readonly labelsKey: string,
  ) {}

  /** Jobs a wake-up announced: true when this worker should claim now, else they are owed. */
  announced(jobIds: number[], free: number, now: number): boolean {
    if (free <= 0) return true;
    const candidates = [this.self];
    for (const [id, peer] of this.peers) {
      if (now - peer.seen > PEER_TTL_MS) this.peers.delete(id);
      else if (peer.free > 0) candidates.push(id);
    }
    if (candidates.length === 1) return true;
    candidates.sort();
    let mine = false;
    for (const id of jobIds) {
      if (candidates[mix(id) % candidates.length] === this.self) mine = true;
      else this.owed.set(id, now + OWED_MS);
    }
    return mine;
  }

  /** A claim was heard of (this worker's own too): the jobs it took are owed no more. */
  heard(notice: ClaimNotice, now: number): void {
    if (notice.kind === "leave") {
      this.peers.delete(notice.workerId);
      return;
    }
    for (const id of notice.jobIds) this.owed.delete(id);
    if (notice.workerId !== this.self && notice.labelsKey === this.labelsKey)
      this.peers.set(notice.workerId, { free: notice.free, seen: now });
  }

  /** Owed jobs now, before a claim is sent. */
  owedNow(): number[] {
    return [...this.owed.keys()];
  }

  /** A claim sent after these were owed found fewer jobs than it asked for: none of them is left for this worker. */
  settled(jobIds: number[]): void {
    for (const id of jobIds) this.owed.delete(id);
  }

  /** When the soonest owed job is due for a claim of this worker's own. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const due of this.owed.values()) if (next === undefined || due < next) next = due;
    return next;
  }

  /** Takes the owed jobs due by `now`: true when there were any (this worker claims them). */
  takeDue(now: number): boolean {
    let any = false;
    for (const [id, due] of this.owed)
      if (due <= now) {
        this.owed.delete(id);
        any = true;
      }
    return any;
  }
}

/** A 32-bit mix of a job id: consecutive runs' first jobs have ids of one parity, so `id % n` would not spread them. */
function mix(id: number): number {
  let h = (id ^ Math.floor(id / 2 ** 32)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
