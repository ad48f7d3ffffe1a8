import { type FeatureTable, OUTCOME_LABELS, OUTCOMES, type Outcome } from "./features.js";
import type { FileReport, Finding } from "./report.js";

/** The report of one source file as text: its outputs, then each feature it uses, by outcome. */
export function reportText(report: FileReport, written?: (path: string) => string): string {
  const lines: string[] = [];
  const complete = report.outputs.every((o) => o.complete);
  const status =
    report.errors.length > 0 && report.outputs.length === 0
      ? "not converted"
      : complete
        ? "converted"
        : "not fully converted";
  lines.push(`${report.file} (${report.kind}): ${status}`);
  for (const error of report.errors) lines.push(`  error: ${error}`);
  for (const output of report.outputs) {
    lines.push(
      `  -> ${written ? written(output.path) : output.path} (${output.kind}${output.complete ? "" : ", not fully converted"})`,
    );
  }
  for (const outcome of OUTCOMES) {
    const findings = report.findings.filter((f) => f.outcome === outcome);
    if (findings.length === 0) continue;
    lines.push(`  ${heading(outcome)} (${findings.length}):`);
    for (const f of findings) lines.push(`    ${findingLine(f, report.outputs.length > 1)}`);
  }
  return `${lines.join("\n")}\n`;
}

function heading(outcome: Outcome): string {
  return outcome === "manual"
    ? "not converted, to do by hand"
    : outcome === "later"
      ? "not converted yet"
      : OUTCOME_LABELS[outcome];
}

/** One finding: where, what, the detail, and what to know. */
export function findingLine(f: Finding, withOutput = true): string {
  const where = f.line !== undefined ? `line ${f.line}: ` : "";
  const detail = f.detail ? `: ${f.detail}` : "";
  const needs = f.outcome === "later" ? ` [needs ${f.needs}]` : "";
  const explanation = f.explanation ? ` -- ${f.explanation}` : "";
  const output = f.output && withOutput ? ` (${f.output})` : "";
  return `${where}${f.source}${detail}${output}${needs}${explanation}`;
}

/** Counts of findings by outcome over several reports, for a closing summary. */
export function outcomeCounts(reports: FileReport[]): Record<Outcome, number> {
  const counts = { converted: 0, difference: 0, manual: 0, later: 0 } as Record<Outcome, number>;
  for (const r of reports) for (const f of r.findings) counts[f.outcome]++;
  return counts;
}

/**
 * The compatibility table of one converter as Markdown, from its feature table: the one source of
 * docs/import.md's tables, so the docs say what the converter does and nothing else.
 */
export function compatibilityTable(table: FeatureTable): string {
  const rows = Object.values(table).map((f) => {
    const status =
      f.outcome === "later" ? `${OUTCOME_LABELS.later} (needs ${f.needs})` : OUTCOME_LABELS[f.outcome];
    const what = f.outcome === "difference" ? `${f.gantry}. ${capital(f.note as string)}` : f.gantry;
    return `| ${markdownCell(f.source)} | ${status} | ${markdownCell(what)} |`;
  });
  return ["| source | status | in Gantry |", "| --- | --- | --- |", ...rows].join("\n");
}

/** Text for a Markdown table cell: pipes and stars escaped, and `<job>` shown rather than read as HTML. */
export function markdownCell(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([|*])/g, "\\$1")
    .replace(/\n/g, " ");
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
