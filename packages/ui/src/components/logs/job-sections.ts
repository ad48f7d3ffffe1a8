import type { LogLine } from "./use-log-stream";

/** One step of a job, as the API reports it (`steps` of a step or of an item). */
export interface JobStepReport {
  id?: string | null;
  name: string;
  status: string;
  duration_ms?: number | null;
}

/** The line that opens a job step's section: `##[step] <index> <name>` (the engine writes it). */
const SECTION = /^##\[step\] (\d+) (.*)$/;

export type LogRow =
  | { kind: "line"; line: LogLine }
  | {
      kind: "section";
      line: LogLine;
      key: string;
      name: string;
      step?: JobStepReport;
      collapsed: boolean;
      /** Lines in the section. */
      count: number;
    };

/**
 * The log as rows: each job step's section header, then its lines unless the section is collapsed.
 * Sections are keyed by item, attempt and step index, so a matrix leg's or a retry's do not mix.
 */
export function sectionRows(
  lines: LogLine[],
  collapsed: ReadonlySet<string>,
  stepsOf: (item: number) => JobStepReport[] | undefined,
): LogRow[] {
  const rows: LogRow[] = [];
  let open: Extract<LogRow, { kind: "section" }> | undefined;
  for (const line of lines) {
    const match = SECTION.exec(line.text);
    if (match) {
      const index = Number(match[1]);
      const key = `${line.item}:${line.attempt}:${index}`;
      const step = stepsOf(line.item)?.[index];
      open = {
        kind: "section",
        line,
        key,
        name: match[2] ?? "",
        ...(step ? { step } : {}),
        collapsed: collapsed.has(key),
        count: 0,
      };
      rows.push(open);
      continue;
    }
    if (open && open.line.item === line.item && open.line.attempt === line.attempt) {
      open.count += 1;
      if (open.collapsed) continue;
    } else open = undefined;
    rows.push({ kind: "line", line });
  }
  return rows;
}

/** Whether any line opens a section (a job's log). */
export function hasSections(lines: LogLine[]): boolean {
  return lines.some((l) => SECTION.test(l.text));
}
