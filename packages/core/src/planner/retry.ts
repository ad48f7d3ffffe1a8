import { parseDuration } from "../format/duration.js";
import type { RetrySpec } from "../format/types.js";

/** GitHub-style retries have no default delay; 0 keeps a flaky step's retry immediate unless one is asked for. */
const DEFAULT_DELAY_MS = 0;
/** Exponential backoff doubles each time; an hour is the longest a retry waits, whatever the attempt. */
const MAX_DELAY_MS = 3_600_000;

/** The wait before attempt `nextAttempt` (2 for the first retry). */
export function retryDelayMs(retry: RetrySpec, nextAttempt: number): number {
  const base = retry.delay === undefined ? DEFAULT_DELAY_MS : parseDuration(retry.delay);
  if (retry.backoff !== "exponential") return base;
  return Math.min(MAX_DELAY_MS, base * 2 ** Math.max(0, nextAttempt - 2));
}
