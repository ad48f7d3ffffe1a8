/** A number of seconds as Gantry's duration text: 300 -> "5m", 5400 -> "1h30m", 90 -> "1m30s". */
export function durationText(seconds: number): string {
  let rest = Math.round(seconds);
  if (!Number.isFinite(rest) || rest <= 0) return "0s";
  let text = "";
  for (const [unit, size] of [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    if (rest < size) continue;
    text += `${Math.floor(rest / size)}${unit}`;
    rest %= size;
  }
  return text;
}

/** Reads durations such as Rundeck's `10m`, `1h30m`, `2d`, `90` (seconds); undefined when unreadable. */
export function parseDurationText(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const re = /(\d+)\s*([dhms])/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * { d: 86400, h: 3600, m: 60, s: 1 }[m[2] as "d" | "h" | "m" | "s"];
    matched = re.lastIndex;
    while (t[re.lastIndex] === " ") re.lastIndex++;
  }
  return matched > 0 && matched === t.length ? total : undefined;
}
