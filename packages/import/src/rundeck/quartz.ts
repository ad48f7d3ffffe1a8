/**
 * Rundeck schedules are Quartz cron expressions: seconds first, a year last, `?` for "no restriction" in
 * one of the day fields, and days of the week numbered 1 (Sunday) to 7 (Saturday), where Unix cron and
 * Gantry count 0 (Sunday) to 6. Gantry's scheduler reads five fields, or six with seconds first.
 */

export interface QuartzConversion {
  /** Gantry's cron: five fields, or six when the seconds are not 0. */
  cron: string;
  /** The year field when it restricts anything (Gantry's cron has none). */
  year?: string;
  /** What changed in writing, for the report: "day of week 2-6 -> 1-5". */
  changes: string[];
}

const MAX = { second: 59, minute: 59, hour: 23, dom: 31, month: 12, dow: 6 } as const;

export function quartzToCron(expression: string): QuartzConversion | { problem: string } {
  const fields = expression.trim().split(/\s+/);
  if (fields.length < 6 || fields.length > 7) {
    return {
      problem: `'${expression}' has ${fields.length} fields; Quartz has 6 or 7 (seconds … day-of-week [year])`,
    };
  }
  const [second, minute, hour, dom, month, dow, year] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  const days = dow === "?" ? { text: "*" } : weekdays(dow);
  if ("problem" in days) return days;
  const cron = [
    steps(second, MAX.second),
    steps(minute, MAX.minute),
    steps(hour, MAX.hour),
    steps(dom === "?" ? "*" : dom, MAX.dom),
    steps(month, MAX.month),
    days.text,
  ];
  const changes: string[] = [];
  if (dow !== "?" && days.text !== dow)
    changes.push(`day of week ${dow} -> ${days.text} (Quartz counts Sunday as 1, Gantry as 0)`);
  if (dom === "?" || dow === "?") changes.push("'?' -> '*'");
  fields.slice(0, 5).forEach((field, i) => {
    if (field.includes("/") && !field.startsWith("*") && cron[i] !== field)
      changes.push(`${field} -> ${cron[i]}`);
  });
  const withSeconds = cron[0] !== "0";
  const result: QuartzConversion = { cron: (withSeconds ? cron : cron.slice(1)).join(" "), changes };
  if (year !== undefined && year !== "*" && year !== "?") result.year = year;
  return result;
}

/** `start/step` -> `start-max/step`: Gantry's cron wants a range or `*` before a step. */
function steps(field: string, max: number): string {
  return field
    .split(",")
    .map((part) => {
      const m = /^(\d+)\/(\d+)$/.exec(part);
      return m ? `${m[1]}-${max}/${m[2]}` : part.replace(/^0+(?=\d)/, "");
    })
    .join(",");
}

/** Quartz day-of-week numbers (1 = Sunday … 7 = Saturday) renumbered to 0 … 6; names stay. */
function weekdays(field: string): { text: string } | { problem: string } {
  const shift = (n: string): string => String(Number(n) - 1);
  const parts: string[] = [];
  for (const part of field.split(",")) {
    // 6L = the last Friday; 6#3 = the third Friday.
    let m = /^([1-7])L$/.exec(part);
    if (m) {
      parts.push(`${shift(m[1] as string)}#L`);
      continue;
    }
    m = /^([1-7])#([1-5])$/.exec(part);
    if (m) {
      parts.push(`${shift(m[1] as string)}#${m[2]}`);
      continue;
    }
    m = /^([1-7])(?:-([1-7]))?(?:\/(\d+))?$/.exec(part);
    if (m) {
      const [, from, to, step] = m;
      const start = shift(from as string);
      const range =
        to !== undefined ? `${start}-${shift(to)}` : step !== undefined ? `${start}-${MAX.dow}` : start;
      parts.push(step !== undefined ? `${range}/${step}` : range);
      continue;
    }
    if (/^[*]$|^\*\/\d+$|^[A-Za-z]{3}(-[A-Za-z]{3})?$|^[A-Za-z]{3}#\d$|^[A-Za-z]{3}L$/.test(part)) {
      parts.push(part.replace(/^([A-Za-z]{3})L$/, "$1#L"));
      continue;
    }
    return { problem: `day of week '${field}': '${part}' is not a Quartz day of week` };
  }
  return { text: parts.join(",") };
}
