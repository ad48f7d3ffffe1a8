import type { FeatureTable, Outcome } from "./features.js";

export const IMPORT_KINDS = ["github-actions", "circleci", "cronjob", "rundeck"] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/** One use of a feature in a source file, and how it came across. */
export interface Finding {
  /** The key of the feature in its converter's table. */
  feature: string;
  /** The feature as the source names it (from the table). */
  source: string;
  outcome: Outcome;
  /** About this use: which value, and what it became. */
  detail: string;
  /** From the table: how the result differs and why, or what to do by hand (empty when converted). */
  explanation: string;
  /** For `later`: the Gantry feature it waits for. */
  needs?: string;
  line?: number;
  col?: number;
  /** The output file it concerns, when the source became several. */
  output?: string;
}

/** A file the conversion wrote. */
export interface ImportedFile {
  /** Relative to the output folder: `<name>.yaml`, or `actions/<name>/action.yaml`. */
  path: string;
  kind: "workflow" | "action";
  name: string;
  text: string;
  /** False when some part of the source it came from was not converted. */
  complete: boolean;
}

export interface FileReport {
  file: string;
  kind: ImportKind;
  outputs: ImportedFile[];
  findings: Finding[];
  /** Why the file could not be converted at all, as `file:line:col: message`. */
  errors: string[];
}

/** Collects findings against a converter's table: the outcome always comes from the table. */
export class Findings<K extends string> {
  readonly list: Finding[] = [];
  /** The output findings are tagged with until changed (a source that becomes several files). */
  output: string | undefined;

  constructor(private readonly table: FeatureTable<K>) {}

  add(feature: K, at: { line: number; col: number } | undefined, detail?: string): void {
    const entry = this.table[feature];
    const finding: Finding = {
      feature,
      source: entry.source,
      outcome: entry.outcome,
      detail: detail ?? "",
      explanation:
        entry.outcome === "converted"
          ? ""
          : entry.outcome === "difference"
            ? (entry.note as string)
            : entry.gantry,
      ...(entry.needs ? { needs: entry.needs } : {}),
      ...(at ? { line: at.line, col: at.col } : {}),
      ...(this.output ? { output: this.output } : {}),
    };
    // The same feature at the same place with the same words is one finding (aliases expand twice).
    const same = this.list.some(
      (f) =>
        f.feature === finding.feature &&
        f.line === finding.line &&
        f.detail === finding.detail &&
        f.output === finding.output,
    );
    if (!same) this.list.push(finding);
  }

  outcomeOf(feature: K): Outcome {
    return this.table[feature].outcome;
  }
}

/** True for the outcomes that leave work to do by hand. */
export function isGap(outcome: Outcome): boolean {
  return outcome === "manual" || outcome === "later";
}
