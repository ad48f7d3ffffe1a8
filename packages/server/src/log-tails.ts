import {
  type LogArchiveLike,
  type LogLine,
  type ServiceContext,
  store,
  streamLogLines,
} from "@gantry/engine";

export interface Follower {
  after: number;
  step?: string;
  send(lines: LogLine[]): void;
  end(): void;
  /**
   * Resolves when the follower can take more (its socket's buffer has drained): the shared read waits
   * for it before the next batch, so a finished 200 MB log is sent at the clients' pace, a batch at a
   * time, rather than read into memory. Absent: always ready.
   */
  ready?(): Promise<void>;
}

/** Runs stream until they end; these statuses end them. */
const ENDED = new Set(["succeeded", "failed", "cancelled", "timed_out", "skipped"]);
/** The fallback for a lost notification: every follower is checked at least this often. */
const POLL_MS = 1_000;

/**
 * Follows run logs for any number of clients: one store read per run per change, shared by everyone
 * following that run (100 browsers on one run cost the database what one does), streamed a batch at a
 * time (memory holds one batch, whatever the log's size).
 */
export class LogTails {
  private readonly tails = new Map<string, Tail>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly archive: LogArchiveLike,
  ) {
    this.unsubscribe = ctx.notifier.subscribe("logs", (runId) => this.tails.get(runId)?.poke());
  }

  follow(runId: string, follower: Follower): () => void {
    let tail = this.tails.get(runId);
    if (!tail) {
      tail = new Tail(this.ctx, this.archive, runId, () => this.tails.delete(runId));
      this.tails.set(runId, tail);
    }
    return tail.add(follower);
  }

  close(): void {
    this.unsubscribe();
    for (const tail of this.tails.values()) tail.endAll();
  }
}

/**
 * The followers of one run. Followers level with the shared read (`live`) get each batch it reads; a
 * follower that starts further back (a browser opening the log of a long run, or joining while the
 * shared read is ahead) first catches up on its own read, then joins them. Before, a late joiner made
 * the shared read start over from its offset, so 100 sockets connecting one by one while a 50 MB log
 * streamed read and sent it up to 100 times (378 s instead of 3).
 */
class Tail {
  private readonly followers = new Set<Follower>();
  private readonly live = new Set<Follower>();
  private readonly catching = new Set<Follower>();
  /** The offset the shared read has handed out to `live` up to; set by the first follower. */
  private position: number | undefined;
  private reading = false;
  private again = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly archive: LogArchiveLike,
    private readonly runId: string,
    private readonly onEmpty: () => void,
  ) {
    this.timer = setInterval(() => this.poke(), POLL_MS);
  }

  add(follower: Follower): () => void {
    this.followers.add(follower);
    this.position ??= follower.after;
    if (follower.after >= this.position) this.live.add(follower);
    this.poke();
    return () => this.remove(follower);
  }

  endAll(): void {
    for (const f of [...this.followers]) {
      f.end();
      this.remove(f);
    }
  }

  private remove(follower: Follower): void {
    this.followers.delete(follower);
    this.live.delete(follower);
    this.catching.delete(follower);
    if (this.followers.size === 0) {
      clearInterval(this.timer);
      this.onEmpty();
    }
  }

  /** Reads what is new for the live followers, and starts a catch-up for each follower behind. */
  poke(): void {
    for (const follower of this.followers)
      if (!this.live.has(follower) && !this.catching.has(follower)) void this.catchUp(follower);
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    void this.read().finally(() => {
      this.reading = false;
    });
  }

  /**
   * Sends a follower behind the shared read everything stored after its offset, on its own read, then
   * makes it live. A failed read leaves it to the next poke (notification or poll) to try again.
   */
  private async catchUp(follower: Follower): Promise<void> {
    this.catching.add(follower);
    try {
      while (this.followers.has(follower) && follower.after < (this.position ?? follower.after)) {
        // Everything up to the shared position was stored before this read began, so it gets it all.
        const reached = this.position ?? follower.after;
        for await (const lines of streamLogLines(this.ctx.database.db, this.archive, this.runId, {
          after: follower.after,
          ...(follower.step !== undefined ? { step: follower.step } : {}),
        })) {
          if (!this.followers.has(follower)) return;
          follower.send(lines);
          follower.after = Math.max(follower.after, lines.at(-1)?.offset ?? follower.after);
          await follower.ready?.();
        }
        follower.after = Math.max(follower.after, reached);
      }
      if (!this.followers.has(follower)) return;
      this.catching.delete(follower);
      this.live.add(follower);
      // The shared read ends it if the run is over, or sends what came meanwhile.
      this.poke();
    } catch {
      this.catching.delete(follower);
    }
  }

  private async read(): Promise<void> {
    do {
      this.again = false;
      if (this.live.size === 0 || this.position === undefined) return;
      // The status first: a run that has ended has stored all its lines, so this read gets the rest.
      // A failed read must not end anyone: ending followers of a finished run after a read that got
      // nothing (the archive or the database briefly unreachable) closed their sockets as if the log
      // were complete. They wait for the next notification or poll instead.
      let failed = false;
      const run = await store.getRun(this.ctx.database.db, this.runId).catch(() => {
        failed = true;
        return undefined;
      });
      let position: number = this.position;
      try {
        for await (const lines of streamLogLines(this.ctx.database.db, this.archive, this.runId, {
          after: position,
        })) {
          const last: number = lines.at(-1)?.offset ?? position;
          const waits: Promise<void>[] = [];
          // Followers of the same step that are level with the read get the same array, so the route
          // can serialise a batch once for all of them (100 followers, one JSON.stringify).
          const shared = new Map<string | undefined, LogLine[]>();
          for (const follower of this.live) {
            const level = follower.after === position;
            let mine = level ? shared.get(follower.step) : undefined;
            if (!mine) {
              mine = lines.filter(
                (l) => l.offset > follower.after && (follower.step === undefined || l.step === follower.step),
              );
              if (level) shared.set(follower.step, mine);
            }
            if (mine.length > 0) follower.send(mine);
            follower.after = Math.max(follower.after, last);
            if (follower.ready) waits.push(follower.ready());
          }
          position = last;
          this.position = last;
          await Promise.all(waits);
          if (this.live.size === 0) return;
        }
      } catch {
        failed = true;
      }
      if (!failed && (!run || ENDED.has(run.status))) {
        for (const follower of [...this.live]) {
          follower.end();
          this.remove(follower);
        }
      }
    } while (this.again);
  }
}
