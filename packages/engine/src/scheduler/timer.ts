/** Where the scheduler sets its one timer: real timers in production, a test's own in tests. */
export interface TimerLike {
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

// setTimeout takes at most 2^31-1 ms (about 24.8 days); longer delays fire at once.
const MAX_DELAY_MS = 2_147_483_647;

export const realTimer: TimerLike = {
  set: (callback, delayMs) => setTimeout(callback, Math.min(Math.max(0, delayMs), MAX_DELAY_MS)),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
