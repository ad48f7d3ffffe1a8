// biome-ignore-all lint/style/noRestrictedGlobals: croner takes and returns Date objects; here they only wrap times given as numbers, and no clock is read.
import { Cron } from "croner";

/** The times a cron expression names, in milliseconds since the epoch. */
export interface CronSchedule {
  readonly expression: string;
  readonly timezone: string;
  /** The first time strictly after `after`, or undefined when there is none (a date long past). */
  next(after: number): number | undefined;
  /** The `count` latest times at or before `atOrBefore`, oldest first. */
  latest(atOrBefore: number, count: number): number[];
}

export const DEFAULT_TIMEZONE = "UTC";

/**
 * Croner's options, the same for validation and for firing.
 * - `5-or-6-parts`: minute-based cron, or seconds first; croner's 7th (year) field is not offered.
 * - `fixedTimeRule: no-wildcard`: how daylight saving time is handled, as Vixie cron does it. A time
 *   of day given without `*` or a step in its second, minute and hour fields (`30 2 * * *`, `30 2,14 * * *`)
 *   is a fixed time: when the clocks skip it (spring forward) it fires once at the first valid time after
 *   the gap (03:00 in Europe/Berlin on 2026-03-29), and when it happens twice (fall back) it fires once,
 *   at the first occurrence. Everything else (`*\/15 * * * *`, `0 * * * *`) is an interval: the skipped
 *   hour has no fires and the repeated hour has them twice, so it keeps firing at the same real pace.
 * - Day of month and day of week, when both are given, match when either does (Vixie cron, Kubernetes).
 */
const CRONER_OPTIONS = { paused: true, mode: "5-or-6-parts", fixedTimeRule: "no-wildcard" } as const;

// Thousands of schedules share a few expressions: each is checked once per process.
const checked = new Map<string, string | undefined>();

/** Why an expression or time zone is unusable, or undefined when both are fine. */
export function cronProblem(expression: string, timezone: string = DEFAULT_TIMEZONE): string | undefined {
  const zone = timezoneProblem(timezone);
  if (zone) return zone;
  const key = `${expression}\u0000${timezone}`;
  if (checked.has(key)) return checked.get(key);
  let problem: string | undefined;
  try {
    const cron = new Cron(expression, { ...CRONER_OPTIONS, timezone });
    // A valid expression that can never match (30 February) has no next time from any point.
    if (cron.nextRun(new Date(0)) === null) problem = `cron '${expression}' never fires`;
  } catch (error) {
    problem = `cron '${expression}': ${cronMessage((error as Error).message)}`;
  }
  if (checked.size < 10_000) checked.set(key, problem);
  return problem;
}

export const CRON_FORMS =
  "5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or @yearly, @monthly, " +
  "@weekly, @daily, @hourly";

/** Croner's message in Gantry's terms: croner counts a year field that Gantry does not offer. */
function cronMessage(message: string): string {
  const text = message.replace(/^CronPattern: /, "");
  const parts = /(?:has (\d+) parts|space separated parts are required)/.exec(text);
  if (!parts) return text;
  const count = parts[1] ? `${parts[1]} fields` : "not a cron expression";
  return `${count}: give ${CRON_FORMS}`;
}

// Creating an Intl.DateTimeFormat costs some 100 µs; a zone's validity never changes.
const zones = new Map<string, string | undefined>();

export function timezoneProblem(timezone: string): string | undefined {
  if (zones.has(timezone)) return zones.get(timezone);
  let problem: string | undefined;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    problem = `timezone '${timezone}' is not an IANA time zone (such as UTC, Europe/Berlin, America/New_York)`;
  }
  zones.set(timezone, problem);
  return problem;
}

const compiled = new Map<string, CronSchedule>();
const MEMO_SIZE = 64;

/**
 * Compiles an expression once per process: schedules that share one (thousands of `* * * * *`) share
 * the compiled form and its memo. Croner takes some 50 µs per next time, and schedules that fired
 * together ask the same few questions next, so recent answers are kept (10,000 schedules firing at
 * once cost a handful of croner calls, not 20,000). Throws on an invalid expression.
 */
export function compileCron(expression: string, timezone: string = DEFAULT_TIMEZONE): CronSchedule {
  const key = `${expression}\u0000${timezone}`;
  const known = compiled.get(key);
  if (known) return known;
  const problem = timezoneProblem(timezone);
  if (problem) throw new Error(problem);
  const cron = new Cron(expression, { ...CRONER_OPTIONS, timezone });
  const memo = new Map<number, number | undefined>();
  const schedule: CronSchedule = {
    expression,
    timezone,
    next(after) {
      if (memo.has(after)) return memo.get(after);
      const next = cron.nextRun(new Date(after))?.getTime();
      if (memo.size >= MEMO_SIZE) memo.clear();
      memo.set(after, next);
      return next;
    },
    latest(atOrBefore, count) {
      // Croner includes a time earlier in the same second as the reference, so +1 ms includes `atOrBefore`.
      return cron
        .previousRuns(count, new Date(atOrBefore + 1))
        .map((d) => d.getTime())
        .filter((t) => t <= atOrBefore)
        .reverse();
    },
  };
  compiled.set(key, schedule);
  return schedule;
}

/** The next `count` times strictly after `after`. */
export function nextTimes(schedule: CronSchedule, after: number, count: number): number[] {
  const times: number[] = [];
  let t: number | undefined = after;
  while (times.length < count) {
    t = schedule.next(t);
    if (t === undefined) break;
    times.push(t);
  }
  return times;
}
