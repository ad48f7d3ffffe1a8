import { validateActionText, validateWorkflowText } from "@gantry/core";
import {
  type FileReport,
  type Finding,
  type ImportedFile,
  type ImportKind,
  isGap,
} from "../report/report.js";
import type { SourceComment } from "../source/yaml-source.js";
import type { OutputDocument } from "./document.js";

/** A file a converter built, before its header and comments are written. */
export interface Draft {
  kind: "workflow" | "action";
  name: string;
  /** Relative to the output folder. */
  path: string;
  doc: OutputDocument;
  /** What in the source it came from, for the header: `CronJob zot/zot-cache-warmer`. */
  origin: string;
  comments?: SourceComment[];
  sourceHeader?: string;
}

/**
 * Writes each draft's header (what it came from; what was not converted, what differs) and text, and
 * checks the text with Gantry's own validation: output that does not validate is a converter bug, and
 * is reported as an error rather than handed over.
 */
export function finish(
  kind: ImportKind,
  file: string,
  drafts: Draft[],
  findings: Finding[],
  errors: string[] = [],
): FileReport {
  const outputs: ImportedFile[] = [];
  for (const draft of drafts) {
    const concerns = findings
      .filter((f) => f.output === undefined || f.output === draft.name)
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    const gaps = concerns.filter((f) => isGap(f.outcome));
    const differences = concerns.filter((f) => f.outcome === "difference");
    const header = draft.doc.header;
    header.unshift(`Converted by \`gantry import ${kind}\` from ${file} (${draft.origin}).`);
    if (gaps.length > 0) {
      header.splice(
        1,
        0,
        `NOT FULLY CONVERTED: ${gaps.length} part${gaps.length === 1 ? "" : "s"} of the source need${gaps.length === 1 ? "s" : ""} work by hand:`,
        ...grouped(gaps, 3),
        ...(differences.length > 0 ? ["Converted with differences:", ...grouped(differences)] : []),
      );
    } else if (differences.length > 0) {
      header.splice(1, 0, "Converted with differences:", ...grouped(differences));
    }
    const text = draft.doc.render(draft.comments, draft.sourceHeader);
    const validation =
      draft.kind === "workflow"
        ? validateWorkflowText(draft.path, text)
        : validateActionText(draft.path, text);
    for (const p of validation.problems) {
      errors.push(
        `${file}: the converted ${draft.path} does not validate (a bug of the converter): ${p.line}:${p.col}: ${p.message}`,
      );
    }
    outputs.push({ path: draft.path, kind: draft.kind, name: draft.name, text, complete: gaps.length === 0 });
  }
  const sorted = [...findings].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { file, kind, outputs, findings: sorted, errors };
}

/**
 * Findings of the same feature share a line once there are `from` of them: where each is, and the
 * explanation once. Fewer are listed one by one with their details.
 */
function grouped(findings: Finding[], from = 2): string[] {
  const byFeature = new Map<string, Finding[]>();
  for (const f of findings) byFeature.set(f.feature, [...(byFeature.get(f.feature) ?? []), f]);
  return [...byFeature.values()].flatMap((group) => {
    const first = group[0] as Finding;
    if (group.length < from) return group.map((f) => `  - ${describe(f)}`);
    const needs = first.outcome === "later" ? ` (needs ${first.needs})` : "";
    const lines = [...new Set(group.map((f) => f.line).filter((l) => l !== undefined))];
    return [
      `  - ${`${lines.length > 0 ? `lines ${lines.join(", ")}, ` : ""}${first.source}${needs} -- ${first.explanation}`.replace(/\s+/g, " ")}`,
    ];
  });
}

/** One line of the header: where, what, and what to know about it. */
export function describe(f: Finding): string {
  const where = f.line !== undefined ? `line ${f.line}, ` : "";
  const what = f.detail ? `${f.source}: ${f.detail}` : f.source;
  const needs = f.outcome === "later" ? ` (needs ${f.needs})` : "";
  return `${where}${what}${needs}${f.explanation ? ` -- ${f.explanation}` : ""}`.replace(/\s+/g, " ");
}
