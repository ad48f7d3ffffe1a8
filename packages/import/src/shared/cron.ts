import { Cron } from "croner";

/**
 * Why Gantry's scheduler would refuse a cron expression or time zone, or undefined. The options are the
 * scheduler's (five fields, or six with seconds first; Vixie cron's day-of-month/day-of-week rule), so an
 * expression that passes here passes `gantry validate`.
 */
export function cronProblem(expression: string, timezone = "UTC"): string | undefined {
  const zone = timezoneProblem(timezone);
  if (zone) return zone;
  try {
    const cron = new Cron(expression, { paused: true, mode: "5-or-6-parts", timezone });
    // A valid expression that can never match (30 February) has no next time after any fixed instant.
    // biome-ignore lint/style/noRestrictedGlobals: a fixed instant (the epoch), not the clock.
    if (cron.nextRun(new Date(0)) === null) return `'${expression}' never fires`;
  } catch (error) {
    return `'${expression}': ${(error as Error).message.replace(/^CronPattern: /, "")}`;
  }
  return undefined;
}

export function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return undefined;
  } catch {
    return `'${timezone}' is not an IANA time zone`;
  }
}
