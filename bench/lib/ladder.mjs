// The throughput ladder's verdicts: whether one level held, what a system's ladder held and where it
// saturated, and how two systems' ladders compare. Shared by `throughput` (gantry) and `peers`
// (graphile-worker, BullMQ), which offer the same levels with the same `offer`.

/** A level holds only if its p95 (from the POST to the run's end) stays under this. */
export const P95_LIMIT_SECONDS = 0.5;

/**
 * A level holds only if its requests went out at this share of the offered rate at least. `offer`
 * keeps at most 32 requests waiting: a system slower than 32/rate to answer a POST holds the sends
 * back, and its runs' latency (timed from each POST) no longer shows the wait.
 */
export const SENT_SHARE = 0.97;

/** Whether a level held: every request answered and sent on time, every run done, p95 under the limit. */
export function levelHeld({ rate, sentPerSecond, errors, completed, count, p95 }) {
  return errors === 0 && completed === count && sentPerSecond >= rate * SENT_SHARE && p95 < P95_LIMIT_SECONDS;
}

/** levelHeld of a level `offer` drove: `sent` is what offer returned (its rate, errors and count). */
export function offeredLevelHeld(rate, sent, completed, p95) {
  return levelHeld({
    rate,
    sentPerSecond: sent.sentPerSecond,
    errors: sent.errors.length,
    completed,
    count: sent.count,
    p95,
  });
}

/** The highest level (offered runs a second) a ladder held; 0 if none. Levels run in rising order. */
export const heldRate = (levels) => levels.filter((l) => l.ok).at(-1)?.rate ?? 0;

/**
 * The highest completion rate (runs a minute) of any level, and whether the system saturated (missed a
 * level). One that held every level never saturated: its rate is only a lower bound.
 */
export function saturation(levels) {
  return {
    perMinute: Math.max(0, ...levels.map((l) => l.perMinute)),
    reached: levels.some((l) => !l.ok),
  };
}

/**
 * How far two completion rates can differ and still be the same: a level's rate is its runs over the
 * time from its first POST to its last run's end, and a level holds with its last run ending up to
 * P95_LIMIT_SECONDS after its last POST, which is this share of a level's length.
 */
export const rateResolution = (levelSeconds) => P95_LIMIT_SECONDS / levelSeconds;

/**
 * Gantry's held level against a peer's: by the level held (the offered rate), never by completion
 * counts, so two systems that held the same level tie. `met` is null when neither held a level.
 */
export function compareHeld(gantryRate, peerRate) {
  return {
    value: peerRate > 0 ? gantryRate / peerRate : Number.NaN,
    met: gantryRate > 0 || peerRate > 0 ? gantryRate >= peerRate : null,
  };
}

/**
 * Gantry's saturation against a peer's: the ratio of the completion rates, met unless gantry's is lower
 * by more than `resolution` (a share). Two systems that held every level tie (rates within resolution).
 */
export function compareSaturation(gantry, peer, resolution) {
  return {
    value: peer.perMinute > 0 ? gantry.perMinute / peer.perMinute : Number.NaN,
    met: gantry.perMinute >= peer.perMinute * (1 - resolution),
  };
}
