/**
 * When this process last stored a step's output. `gantry up` runs the worker and the server in one
 * process: the server's log followers yield to capture while it is busy (see the server's fan-out
 * pacer), because a step whose output is not read waits for it.
 */
let lastCaptureAt = Number.NEGATIVE_INFINITY;

export function noteLogCapture(now: number): void {
  lastCaptureAt = now;
}

/** Whether this process stored some step output within the last `ms` milliseconds. */
export function logCaptureWithin(ms: number, now: number): boolean {
  return now - lastCaptureAt <= ms;
}
