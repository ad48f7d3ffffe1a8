import { parse } from "yaml";
import { importFile } from "../convert.js";
import type { ImportOptions } from "../options.js";
import type { FileReport, Finding, ImportKind } from "../report/report.js";

export interface Converted {
  report: FileReport;
  /** The first workflow, parsed. */
  workflow: Record<string, unknown> & {
    steps: Record<string, Record<string, unknown> & { steps?: Array<Record<string, unknown>> }>;
    defaults?: Record<string, unknown>;
    inputs?: Record<string, Record<string, unknown>>;
  };
  /** Each output's text, by path. */
  texts: Record<string, string>;
  /** The findings of one feature. */
  feature(name: string): Finding[];
}

/** Converts a source text and reads the result back, failing on converter errors. */
export function convert(
  kind: ImportKind,
  file: string,
  text: string,
  options: ImportOptions = {},
): Converted {
  const report = importFile(kind, file, text, options);
  if (report.errors.length > 0) throw new Error(report.errors.join("\n"));
  const first = report.outputs.find((o) => o.kind === "workflow") ?? report.outputs[0];
  return {
    report,
    workflow: first ? parse(first.text) : { steps: {} },
    texts: Object.fromEntries(report.outputs.map((o) => [o.path, o.text])),
    feature: (name) => report.findings.filter((f) => f.feature === name),
  };
}
