import type { LogCaptureActivity } from "@gantry/engine";

/** While capture is busy, the followers' fan-out takes at most this share of the event loop. */
const SHARE = 0.03;
/** Capture counts as busy this long after it last stored output (its batches are at most 100 ms apart). */
const BUSY_MS = 250;

/**
 * Paces the log followers' fan-out in a process that also captures steps' output (`gantry up`, where
 * worker and server share one event loop). A slice of fan-out (reading, encoding and sending one batch)
 * that took d ms is followed by at least d × (1/share − 1) ms without fan-out while capture is busy, so
 * capture keeps the loop: a step whose output is not read waits for it. 100 followers of a step
 * printing 50 MiB made that step 60 times slower before (bench/: logs). Followers fall behind meanwhile
 * and catch up when the output stops; nothing is dropped. A process that captures nothing (the server of
 * a split deployment) never waits.
 */
export class FanoutPacer {
  private nextAt = 0;

  constructor(
    private readonly share: number,
    private readonly busy: () => boolean,
  ) {}

  /** A pacer that yields while this process's step output capture is busy. */
  static yieldingTo(capture: LogCaptureActivity): FanoutPacer {
    return new FanoutPacer(SHARE, () => capture.within(BUSY_MS, Date.now()));
  }

  /** Resolves when the next slice may start. */
  async turn(): Promise<void> {
    for (;;) {
      const wait = this.nextAt - performance.now();
      if (wait <= 0 || !this.busy()) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, BUSY_MS)));
    }
  }

  /** Records a slice that took `ms`. */
  spent(ms: number): void {
    const now = performance.now();
    this.nextAt = this.busy() ? Math.max(this.nextAt, now) + ms * (1 / this.share - 1) : now;
  }
}
