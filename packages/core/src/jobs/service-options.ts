import { parseDuration } from "../format/duration.js";

/** A service's health check, from its `options` (the `docker create` flags GitHub Actions passes on). */
export interface HealthCheck {
  command?: string;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

const DEFAULTS: HealthCheck = { intervalMs: 2_000, timeoutMs: 30_000, retries: 15, startPeriodMs: 0 };
const FLAGS = [
  "--health-cmd",
  "--health-interval",
  "--health-timeout",
  "--health-retries",
  "--health-start-period",
];

/**
 * Reads `--health-cmd "pg_isready -U app" --health-interval 10s …` (values quoted as a shell would, or
 * joined with `=`). Any other flag is refused by name: a silently ignored option would surprise more.
 */
export function parseHealthOptions(options: string | undefined): HealthCheck | { error: string } {
  const words = shellWords(options ?? "");
  if ("error" in words) return words;
  const health: HealthCheck = { ...DEFAULTS };
  const list = words.words;
  for (let i = 0; i < list.length; i++) {
    const word = list[i] as string;
    const [flag, inline] = word.includes("=")
      ? [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)]
      : [word, undefined];
    if (!FLAGS.includes(flag)) {
      return { error: `option '${flag}' is not supported (supported: ${FLAGS.join(", ")})` };
    }
    const value = inline ?? list[++i];
    if (value === undefined) return { error: `option '${flag}' needs a value` };
    try {
      if (flag === "--health-cmd") health.command = value;
      else if (flag === "--health-retries") {
        health.retries = Number.parseInt(value, 10);
        if (!(health.retries >= 1))
          return { error: `--health-retries must be a whole number >= 1, got '${value}'` };
      } else {
        const ms = parseDuration(value);
        if (flag === "--health-interval") health.intervalMs = ms;
        if (flag === "--health-timeout") health.timeoutMs = ms;
        if (flag === "--health-start-period") health.startPeriodMs = ms;
      }
    } catch (error) {
      return { error: `${flag}: ${(error as Error).message}` };
    }
  }
  return health;
}

/** Splits as a POSIX shell does words: blanks separate, '…' and "…" quote, \ escapes. */
export function shellWords(text: string): { words: string[] } | { error: string } {
  const words: string[] = [];
  let current: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < text.length) current = (current ?? "") + text[++i];
      else current = (current ?? "") + c;
    } else if (c === "'" || c === '"') {
      quote = c;
      current ??= "";
    } else if (c === "\\" && i + 1 < text.length) current = (current ?? "") + text[++i];
    else if (/\s/.test(c)) {
      if (current !== undefined) words.push(current);
      current = undefined;
    } else current = (current ?? "") + c;
  }
  if (quote) return { error: `unclosed ${quote} in options` };
  if (current !== undefined) words.push(current);
  return { words };
}
