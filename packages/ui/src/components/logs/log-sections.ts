import type { StepReport } from "@/lib/api";
import type { LogLine } from "./use-log-stream";

export type LogRow =
  | { kind: "line"; line: LogLine; number: number }
  | { kind: "header"; key: string; label: string; status: string | undefined };

/**
 * A step's log as rows: its lines as they came when the step ran once, else one section per item of a
 * for_each step and per attempt of a retried one, each under a header with the item's value and the
 * status (item i, attempt a), in item then attempt order. Lines keep their numbers within the section.
 */
export function logRows(lines: LogLine[], report: StepReport | undefined): LogRow[] {
  if (!hasSections(lines, report))
    return lines.map((line, index) => ({ kind: "line", line, number: index + 1 }));
  return sectionRows(lines, report);
}

/** Whether the log needs sections: several items or attempts (checked without allocating per line). */
export function hasSections(lines: LogLine[], report: StepReport | undefined): boolean {
  if ((report?.items?.length ?? 0) > 0 || (report?.attempts ?? 1) > 1) return true;
  const first = lines[0];
  if (!first) return false;
  for (const line of lines) if (line.item !== first.item || line.attempt !== first.attempt) return true;
  return false;
}

/** The rows with a header per (item, attempt). */
export function sectionRows(lines: LogLine[], report: StepReport | undefined): LogRow[] {
  const groups = new Map<string, LogLine[]>();
  for (const line of lines) {
    const key = `${line.item}:${line.attempt}`;
    let group = groups.get(key);
    if (!group) {
      group = [];
      groups.set(key, group);
    }
    group.push(line);
  }
  const items = report?.items;
  const sectioned =
    groups.size > 1 || (items !== undefined && items.length > 0) || (report?.attempts ?? 1) > 1;
  if (!sectioned) return lines.map((line, index) => ({ kind: "line", line, number: index + 1 }));
  const keys = [...groups.keys()].sort((a, b) => {
    const [ia, aa] = a.split(":").map(Number) as [number, number];
    const [ib, ab] = b.split(":").map(Number) as [number, number];
    return ia - ib || aa - ab;
  });
  const rows: LogRow[] = [];
  for (const key of keys) {
    const [item, attempt] = key.split(":").map(Number) as [number, number];
    const group = groups.get(key) ?? [];
    const entry = items?.[item];
    const lastAttempt = entry?.attempts ?? report?.attempts ?? attempt;
    const status = attempt < lastAttempt ? "failed" : (entry?.status ?? report?.status);
    const parts = [
      ...(items ? [`item ${item}: ${valueText(entry?.item)}`] : []),
      `attempt ${attempt}${lastAttempt > 1 ? ` of ${lastAttempt}` : ""}`,
    ];
    rows.push({ kind: "header", key, label: parts.join(" · "), status });
    group.forEach((line, index) => {
      rows.push({ kind: "line", line, number: index + 1 });
    });
  }
  return rows;
}

function valueText(value: unknown): string {
  if (value === undefined) return "?";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
