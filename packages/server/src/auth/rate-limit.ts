/**
 * A fixed-window counter per client address: at most `limit` requests a minute. In memory, so each
 * server of a cluster counts on its own (the limit is per server); enough to stop a single client
 * from hammering sign-in or a webhook, not a substitute for a proxy's limits.
 */
export class RateLimiter {
  private windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {}

  /** Counts one request; returns the seconds to wait when over the limit, else 0. */
  take(key: string, now: number): number {
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      // Dropping stale windows on the way keeps the map at the number of recently active addresses.
      if (this.windows.size > 10_000) this.sweep(now);
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count += 1;
    return w.count > this.limit ? Math.ceil((w.start + this.windowMs - now) / 1000) : 0;
  }

  /** Seconds to wait when the address already used its `limit` this minute, else 0; counts nothing. */
  blocked(key: string, now: number): number {
    const w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs || w.count < this.limit) return 0;
    return Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000));
  }

  private sweep(now: number): void {
    for (const [key, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(key);
  }
}

/**
 * Failed API-key checks answer late: 200 ms more per recent failure from the address, up to 3 s, so
 * guessing keys costs time even below the rate limit (and a typo costs a user only 200 ms).
 */
export class FailureDelay {
  private failures = new Map<string, { count: number; last: number }>();

  delayMs(key: string, now: number): number {
    const f = this.failures.get(key);
    const count = f && now - f.last < 60_000 ? f.count + 1 : 1;
    if (this.failures.size > 10_000) this.failures.clear();
    this.failures.set(key, { count, last: now });
    return Math.min(200 * count, 3_000);
  }
}
