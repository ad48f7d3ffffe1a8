const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
export const DURATION_PATTERN = "^(\\d+(\\.\\d+)?(ms|s|m|h|d))+$";
const WHOLE = new RegExp(DURATION_PATTERN);

/**
 * Parses `30s`, `10m`, `1h30m`, `250ms` or a bare number of seconds (as GitHub's timeout-minutes is a
 * bare number, ours is seconds, the unit every other field uses) into milliseconds.
 */
export function parseDuration(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new Error(`invalid duration ${value}: must be >= 0`);
    return value * 1000;
  }
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!WHOLE.test(text)) {
    throw new Error(
      `invalid duration '${value}': use a number of seconds or units like 500ms, 30s, 10m, 1h30m, 1d`,
    );
  }
  let total = 0;
  for (const m of text.matchAll(PART)) total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return total;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  // Round to whole seconds first, so 119.6s reads 2m00s rather than 1m60s.
  const seconds = Math.round(ms / 1000);
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}m${s.toString().padStart(2, "0")}s`;
}
