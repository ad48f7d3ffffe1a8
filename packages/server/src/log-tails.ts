import { type LogArchiveLike, type LogLine, readLogLines, type ServiceContext, store } from "@gantry/engine";

export interface Follower {
  after: number;
  step?: string;
  send(lines: LogLine[]): void;
  end(): void;
}

/** Runs stream until they end; these statuses end them. */
const ENDED = new Set(["succeeded", "failed", "cancelled", "timed_out", "skipped"]);
/** The fallback for a lost notification: every follower is checked at least this often. */
const POLL_MS = 1_000;

/**
 * Follows run logs for any number of clients: one store read per run per change, shared by everyone
 * following that run (100 browsers on one run cost the database what one does).
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

class Tail {
  private readonly followers = new Set<Follower>();
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
    if (this.followers.size === 0) {
      clearInterval(this.timer);
      this.onEmpty();
    }
  }

  /** Reads what is new for the follower furthest behind and hands each follower its part. */
  poke(): void {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    void this.read().finally(() => {
      this.reading = false;
    });
  }

  private async read(): Promise<void> {
    do {
      this.again = false;
      if (this.followers.size === 0) return;
      // The status first: a run that has ended has stored all its lines, so this read gets the rest.
      // A failed read must not end anyone: ending followers of a finished run after a read that got
      // nothing (the archive or the database briefly unreachable) closed their sockets as if the log
      // were complete. They wait for the next notification or poll instead.
      let failed = false;
      const fail = () => {
        failed = true;
        return undefined;
      };
      const run = await store.getRun(this.ctx.database.db, this.runId).catch(fail);
      const after = Math.min(...[...this.followers].map((f) => f.after));
      const lines =
        (await readLogLines(this.ctx.database.db, this.archive, this.runId, { after }).catch(fail)) ?? [];
      const served: Follower[] = [];
      for (const follower of this.followers) {
        // A follower that joined during this read from further back than it started would be handed
        // these lines and skip the ones before them (a second browser opening a finished run's log
        // got it cut short). Its `add` set `again`, so the next pass reads from its offset.
        if (follower.after < after) continue;
        served.push(follower);
        const mine = lines.filter(
          (l) => l.offset > follower.after && (follower.step === undefined || l.step === follower.step),
        );
        if (mine.length > 0) follower.send(mine);
        const last = lines.at(-1);
        if (last) follower.after = Math.max(follower.after, last.offset);
      }
      if (!failed && (!run || ENDED.has(run.status))) {
        for (const follower of served) {
          follower.end();
          this.remove(follower);
        }
      }
    } while (this.again);
  }
}
