import type { LogRow } from "./log-sections";
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

export interface JobSectionRow {
  kind: "section";
  line: LogLine;
  key: string;
  name: string;
  step?: JobStepReport;
  collapsed: boolean;
  /** Lines in the section. */
  count: number;
}

type LineRow = Extract<LogRow, { kind: "line" }>;

/** A row of the log viewer: a line, an item's or attempt's header, or a job step's section header. */
export type LogViewRow = LogRow | JobSectionRow;

/**
 * The rows with each job step's section header, then its lines unless the section is collapsed.
 * Sections are keyed by item, attempt and step index, so a matrix leg's or a retry's do not mix; an
 * item's or attempt's header closes the open section.
 */
export function withJobSections<R extends LogRow>(
  rows: R[],
  collapsed: ReadonlySet<string>,
  stepsOf: (item: number) => JobStepReport[] | undefined,
): Array<R | JobSectionRow> {
  const out: Array<R | JobSectionRow> = [];
  let open: JobSectionRow | undefined;
  for (const row of rows) {
    if (row.kind !== "line") {
      open = undefined;
      out.push(row);
      continue;
    }
    const line = row.line;
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
      out.push(open);
      continue;
    }
    if (open && open.line.item === line.item && open.line.attempt === line.attempt) {
      open.count += 1;
      if (open.collapsed) continue;
    } else open = undefined;
    out.push(row);
  }
  return out;
}

/** A log's lines as rows with job step sections (numbered as they came). */
export function sectionRows(
  lines: LogLine[],
  collapsed: ReadonlySet<string>,
  stepsOf: (item: number) => JobStepReport[] | undefined,
): Array<LineRow | JobSectionRow> {
  const rows = lines.map((line, index): LineRow => ({ kind: "line", line, number: index + 1 }));
  return withJobSections(rows, collapsed, stepsOf);
}

/** Whether any line opens a section (a job's log). */
export function hasSections(lines: LogLine[]): boolean {
  return lines.some((l) => SECTION.test(l.text));
}
