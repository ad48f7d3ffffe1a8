/**
 * What a converter knows about each feature of its source format: one table per converter, the single
 * place that says how a feature comes across. The report of a conversion names entries of this table,
 * and the compatibility table in docs/import.md is generated from it, so neither can claim more than the
 * converter does.
 */

export const OUTCOMES = ["converted", "difference", "manual", "later"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** How the report and the docs word each outcome. */
export const OUTCOME_LABELS: Record<Outcome, string> = {
  converted: "converted",
  difference: "converted with a difference",
  manual: "not converted",
  later: "not converted yet",
};

export interface FeatureDefinition {
  /** The feature as the source format names it (a key path, a step type). */
  source: string;
  /** What it becomes in Gantry; for `manual` and `later`, what to do by hand meanwhile. */
  gantry: string;
  outcome: Outcome;
  /** For `later`: the Gantry feature it waits for, e.g. "jobs of steps, #23". */
  needs?: string;
  /** For `difference`: how the result behaves differently, and why. */
  note?: string;
}

export type FeatureTable<K extends string = string> = Readonly<Record<K, FeatureDefinition>>;

/** Checks a table's entries are complete for their outcome (the docs rely on it). */
export function defineFeatures<K extends string>(table: Record<K, FeatureDefinition>): FeatureTable<K> {
  for (const [key, entry] of Object.entries(table) as Array<[string, FeatureDefinition]>) {
    if (entry.outcome === "later" && !entry.needs) throw new Error(`feature ${key}: 'later' needs 'needs'`);
    if (entry.outcome === "difference" && !entry.note)
      throw new Error(`feature ${key}: 'difference' needs 'note'`);
  }
  return table;
}
