import { TERMINAL_RUN_STATUSES } from "@gantry/core";
import {
  LOG_BATCH_LINES,
  type LogArchiveLike,
  type LogLine,
  type ServiceContext,
  store,
  streamLogLines,
} from "@gantry/engine";
import { LogBatchCache } from "./batch-cache.js";
import { FanoutPacer } from "./fanout-pacer.js";

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
const ENDED: ReadonlySet<string> = new Set(TERMINAL_RUN_STATUSES);
/** How far (in batches) followers catching up may spread: well within what LogBatchCache holds. */
const PACK_BATCHES = 16;
/** The fallback for a lost notification: every followed run is checked at least this often. */
const POLL_MS = 1_000;
/** Runs looked at by one statement of the poll. */
const POLL_BATCH = 500;

/**
 * Follows run logs for any number of clients: one store read per run per change, shared by everyone
 * following that run (100 browsers on one run cost the database what one does), streamed a batch at a
 * time (memory holds one batch, whatever the log's size).
 */
export class LogTails {
  private readonly tails = new Map<string, Tail>();
  private readonly unsubscribe: () => void;
  /** One for every run followed: the fan-out's share of the event loop is the process's. */
  private readonly pacer: FanoutPacer;
  private readonly timer: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly archive: LogArchiveLike,
  ) {
    this.pacer = FanoutPacer.yieldingTo(ctx.logCapture);
    this.unsubscribe = ctx.notifier.subscribe("logs", (runId) => this.tails.get(runId)?.announced());
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    this.timer.unref();
  }

  /**
   * The fallback for a lost notification: one read of every followed run's status and line count, and
   * a read of its lines only where there is something new (or it ended). Polled one by one, 200 followed
   * runs cost the database 800 statements a second, most of them finding nothing, and held up the API's
   * requests waiting for the same connections.
   */
  private async poll(): Promise<void> {
    if (this.polling || this.tails.size === 0) return;
    this.polling = true;
    try {
      const ids = [...this.tails.keys()];
      for (let i = 0; i < ids.length; i += POLL_BATCH) {
        const batch = ids.slice(i, i + POLL_BATCH);
        const found = new Map(
          (await store.runsProgress(this.ctx.database.db, batch)).map((p) => [p.id, p] as const),
        );
        for (const id of batch) this.tails.get(id)?.check(found.get(id));
      }
    } catch {
      // The next poll tries again; a notification may come first.
    } finally {
      this.polling = false;
    }
  }

  follow(runId: string, follower: Follower): () => void {
    let tail = this.tails.get(runId);
    if (!tail) {
      tail = new Tail(this.ctx, this.archive, runId, this.pacer, () => this.tails.delete(runId));
      this.tails.set(runId, tail);
    }
    return tail.add(follower);
  }

  close(): void {
    this.unsubscribe();
    clearInterval(this.timer);
    for (const tail of this.tails.values()) tail.endAll();
  }
}

/**
 * The followers of one run. Followers level with the shared read (`live`) get each batch it reads; a
 * follower that starts further back (a browser opening the log of a long run, or joining while the
 * shared read is ahead) first catches up on its own read, then joins them: were the shared read to start
 * over from each late joiner's offset, 100 sockets connecting one by one while a 50 MB log streamed would
 * read and send it up to 100 times (measured: 378 s instead of 3).
 */
class Tail {
  private readonly followers = new Set<Follower>();
  private readonly live = new Set<Follower>();
  private readonly catching = new Set<Follower>();
  /** The offset the shared read has handed out to `live` up to; set by the first follower. */
  private position: number | undefined;
  private reading = false;
  private again = false;
  /**
   * Whether the next read looks at the run's status (has it ended?) before its lines. Only an
   * announcement of new lines leaves it out: the lines are there, and the run's end is found by the
   * poll (a run's last lines are announced before it ends anyway). A delivered batch then costs two
   * statements instead of three, each waiting for a connection of the pool the API's requests use.
   */
  private statusWanted = true;
  /** Whole batches below the shared position, read once for every follower catching up. */
  private readonly batches = new LogBatchCache();
  /** Followers catching up that wait for the slowest of them to come within PACK_BATCHES. */
  private packWaiters: Array<{ batch: number; wake: () => void }> = [];

  constructor(
    private readonly ctx: ServiceContext,
    private readonly archive: LogArchiveLike,
    private readonly runId: string,
    private readonly pacer: FanoutPacer,
    private readonly onEmpty: () => void,
  ) {}

  /** A poll's look at the run (undefined: gone): reads on if there is anything for the followers. */
  check(progress: store.RunProgress | undefined): void {
    const behind = [...this.followers].some((f) => !this.live.has(f) && !this.catching.has(f));
    const news =
      progress === undefined || ENDED.has(progress.status) || progress.lines - 1 > (this.position ?? -1);
    if (behind || news) this.poke();
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
    this.wakePack();
    if (this.followers.size === 0) this.onEmpty();
  }

  /** A writer announced new lines of the run: reads them, without the run's status. */
  announced(): void {
    this.poke(false);
  }

  /** Reads what is new for the live followers, and starts a catch-up for each follower behind. */
  poke(status = true): void {
    if (status) this.statusWanted = true;
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
   * Sends a follower behind the shared read everything stored after its offset, then makes it live.
   * Whole batches come from the run's batch cache, shared by every follower catching up (100 browsers
   * joining one by one each read and encoded the whole log before); the rest up to the shared position
   * from a read of its own. A failed read leaves it to the next poke (notification or poll) to try again.
   */
  private async catchUp(follower: Follower): Promise<void> {
    this.catching.add(follower);
    try {
      while (this.followers.has(follower) && follower.after < (this.position ?? follower.after)) {
        // Everything up to the shared position was stored before this read began, so it gets it all.
        const reached = this.position ?? follower.after;
        const batch = Math.floor((follower.after + 1) / LOG_BATCH_LINES);
        const end = (batch + 1) * LOG_BATCH_LINES - 1;
        if (end <= reached) await this.keepPack(batch);
        await this.pacer.turn();
        let start = performance.now();
        if (end <= reached) {
          const lines = await this.batches.get(batch, follower.step, () =>
            this.readBatches(batch, follower.step),
          );
          // From the batch's start it is the cached array itself, which the route encodes once for all.
          const mine =
            follower.after + 1 === batch * LOG_BATCH_LINES
              ? lines
              : lines.filter((l) => l.offset > follower.after);
          if (!this.followers.has(follower)) return;
          if (mine.length > 0) follower.send(mine);
          follower.after = end;
          this.wakePack();
          this.pacer.spent(performance.now() - start);
          await follower.ready?.();
          continue;
        }
        // The part batch at the end, up to the shared position only: what comes after is the shared
        // read's to send once this follower is live (read on alone, a follower kept up with a busy step
        // on reads and encodings of its own).
        for await (const lines of streamLogLines(this.ctx.database.db, this.archive, this.runId, {
          after: follower.after,
          ...(follower.step !== undefined ? { step: follower.step } : {}),
        })) {
          if (!this.followers.has(follower)) return;
          const last = lines.at(-1)?.offset ?? follower.after;
          const mine = last <= reached ? lines : lines.filter((l) => l.offset <= reached);
          if (mine.length > 0) follower.send(mine);
          follower.after = Math.max(follower.after, Math.min(last, reached));
          this.pacer.spent(performance.now() - start);
          if (last >= reached) break;
          await follower.ready?.();
          await this.pacer.turn();
          start = performance.now();
        }
        follower.after = Math.max(follower.after, reached);
      }
      if (!this.followers.has(follower)) return;
      this.catching.delete(follower);
      this.wakePack();
      this.live.add(follower);
      // The shared read ends it if the run is over, or sends what came meanwhile.
      this.poke();
    } catch {
      this.catching.delete(follower);
      this.wakePack();
    }
  }

  /**
   * Waits until no follower catching up is more than PACK_BATCHES behind `batch`, so they move as a
   * pack through batches the cache still holds. Spread out, the ones at the back found their batches
   * evicted and each read the rest of the log alone: 100 followers of 200 MiB caught up in 360 s. A
   * follower whose socket stops draining is closed after a while (the route's STALLED_MS), which lets
   * the pack go on; the live followers' shared read waits for its slowest the same way.
   */
  private keepPack(batch: number): Promise<void> {
    if (batch - this.slowestCatching() <= PACK_BATCHES) return Promise.resolve();
    return new Promise<void>((wake) => this.packWaiters.push({ batch, wake }));
  }

  /** Lets go the followers the slowest one has come close enough to (or all, with none catching up). */
  private wakePack(): void {
    if (this.packWaiters.length === 0) return;
    const slowest = this.slowestCatching();
    const waiting = this.packWaiters;
    this.packWaiters = [];
    for (const waiter of waiting)
      if (waiter.batch - slowest <= PACK_BATCHES) waiter.wake();
      else this.packWaiters.push(waiter);
  }

  private slowestCatching(): number {
    let slowest = Number.POSITIVE_INFINITY;
    for (const f of this.catching) slowest = Math.min(slowest, Math.floor((f.after + 1) / LOG_BATCH_LINES));
    return slowest;
  }

  /**
   * Reads whole batches from `first` on (one store read serves several) while they lie below the shared
   * position, so each is complete and never changes. Returns them by batch number; a batch with no line
   * (of this step) is an empty array.
   */
  private async readBatches(first: number, step: string | undefined): Promise<Map<number, LogLine[]>> {
    const read = new Map<number, LogLine[]>();
    const reached = this.position ?? -1;
    const last = Math.min(first + LogBatchCache.READ_AHEAD, Math.floor((reached + 1) / LOG_BATCH_LINES)) - 1;
    for (let k = first; k <= last; k++) read.set(k, []);
    for await (const lines of streamLogLines(this.ctx.database.db, this.archive, this.runId, {
      after: first * LOG_BATCH_LINES - 1,
      ...(step !== undefined ? { step } : {}),
    })) {
      const k = Math.floor((lines[0]?.offset ?? 0) / LOG_BATCH_LINES);
      if (k > last) break;
      // A yielded batch never spans two: it ends at a multiple of LOG_BATCH_LINES.
      read.get(k)?.push(...lines);
    }
    return read;
  }

  private async read(): Promise<void> {
    do {
      this.again = false;
      if (this.live.size === 0 || this.position === undefined) return;
      // The status first: a run that has ended has stored all its lines, so this read gets the rest.
      // A failed read must not end anyone: ending followers of a finished run after a read that got
      // nothing (the archive or the database briefly unreachable) closed their sockets as if the log
      // were complete. They wait for the next notification or poll instead.
      if (!this.statusWanted) {
        try {
          if (!(await this.sendNew(this.position))) return;
        } catch {
          // The next announcement or poll reads them.
        }
        continue;
      }
      this.statusWanted = false;
      let run: store.RunProgress | undefined;
      try {
        // Its status and line count: not the whole row, whose state document this does not need.
        [run] = await store.runsProgress(this.ctx.database.db, [this.runId]);
      } catch {
        this.statusWanted = true;
        continue;
      }
      // The log itself (its archive list, its chunks) is read only when lines were stored since.
      if (!run || run.lines - 1 > this.position) {
        try {
          if (!(await this.sendNew(this.position))) return;
        } catch {
          continue;
        }
      }
      if (!run || ENDED.has(run.status)) {
        for (const follower of [...this.live]) {
          follower.end();
          this.remove(follower);
        }
      }
    } while (this.again);
  }

  /** Sends the live followers the lines after `position`; false once none is left. */
  private async sendNew(position: number): Promise<boolean> {
    await this.pacer.turn();
    let start = performance.now();
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
      this.pacer.spent(performance.now() - start);
      await Promise.all(waits);
      if (this.live.size === 0) return false;
      await this.pacer.turn();
      start = performance.now();
    }
    return true;
  }
}
