/**
 * When this process last stored a step's output. `gantry up` runs the worker and the server in one
 * process: the server's log followers yield to capture while it is busy (see the server's fan-out
 * pacer), because a step whose output is not read waits for it. One per ServiceContext, so the worker
 * and the server of one process share it.
 */
export class LogCaptureActivity {
  private lastCaptureAt = Number.NEGATIVE_INFINITY;

  note(now: number): void {
    this.lastCaptureAt = now;
  }

  /** Whether this process stored some step output within the last `ms` milliseconds. */
  within(ms: number, now: number): boolean {
    return now - this.lastCaptureAt <= ms;
  }
}
