/**
 * Writes (or reads) that arrive while others are under way go to the database together: the first goes at once,
 * alone; those that come while `maxInFlight` writes are under way wait and then go as one write of up to
 * `maxItems` (one statement, one commit). Nothing waits for a timer, so a lone write costs what it did;
 * 50 API requests arriving at once cost a few statements instead of 50, each waiting its turn for one of
 * the pool's connections (bench/: load).
 *
 * Each caller gets its own result once the write holding its item has committed. A grouped write that
 * fails is tried again one item at a time, so one bad item fails only its own caller: `write` must be
 * all-or-nothing (one statement, or one transaction).
 */
export class GroupCommit<T, R> {
  private pending: Array<{ item: T; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  private inFlight = 0;

  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly options: { maxItems: number; maxInFlight: number },
  ) {}

  /** Resolves with the item's result once it is written, or rejects with its own error. */
  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.options.maxInFlight && this.pending.length > 0) {
      const group = this.pending.splice(0, this.options.maxItems);
      this.inFlight++;
      void this.commit(group).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  private async commit(group: GroupCommit<T, R>["pending"]): Promise<void> {
    try {
      const results = await this.write(group.map((g) => g.item));
      for (const [i, g] of group.entries()) g.resolve(results[i] as R);
    } catch (error) {
      const [only] = group;
      if (group.length === 1 && only) return only.reject(error);
      await Promise.all(
        group.map(async (g) => {
          try {
            const [result] = await this.write([g.item]);
            g.resolve(result as R);
          } catch (own) {
            g.reject(own);
          }
        }),
      );
    }
  }
}

/**
 * The grouped writers and readers of one process (kept in its ServiceContext), by purpose and database:
 * each made on first use, so requests of the same kind share one group.
 */
export class GroupCommits {
  private readonly groups = new Map<string, WeakMap<object, GroupCommit<unknown, unknown>>>();

  of<T, R>(purpose: string, database: object, make: () => GroupCommit<T, R>): GroupCommit<T, R> {
    let byDatabase = this.groups.get(purpose);
    if (!byDatabase) {
      byDatabase = new WeakMap();
      this.groups.set(purpose, byDatabase);
    }
    let group = byDatabase.get(database) as GroupCommit<T, R> | undefined;
    if (!group) {
      group = make();
      byDatabase.set(database, group as GroupCommit<unknown, unknown>);
    }
    return group;
  }
}
