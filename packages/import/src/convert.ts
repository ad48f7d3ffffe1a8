import { convertCircleci } from "./circleci/convert.js";
import { CIRCLECI_FEATURES } from "./circleci/features.js";
import { convertCronJobs } from "./cronjob/convert.js";
import { CRONJOB_FEATURES } from "./cronjob/features.js";
import { convertGithubActions } from "./github-actions/convert.js";
import { GITHUB_ACTIONS_FEATURES } from "./github-actions/features.js";
import { type ImportOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import type { FeatureTable } from "./report/features.js";
import type { FileReport, ImportKind } from "./report/report.js";
import { convertRundeck } from "./rundeck/convert.js";
import { RUNDECK_FEATURES } from "./rundeck/features.js";

/** Each converter's feature table, by source kind, in the order the docs list them. */
export const FEATURE_TABLES: Record<ImportKind, FeatureTable> = {
  "github-actions": GITHUB_ACTIONS_FEATURES,
  circleci: CIRCLECI_FEATURES,
  cronjob: CRONJOB_FEATURES,
  rundeck: RUNDECK_FEATURES,
};

/** Sources larger than this are refused: real CI files and job exports are a few hundred KB at most. */
export const MAX_SOURCE_BYTES = 2 * 1024 * 1024;

/**
 * Converts one source file. `file` is the name shown in the report and the output's header. The report
 * lists each feature the file uses and how it came across; `errors` is set when it could not be read.
 */
export function importFile(
  kind: ImportKind,
  file: string,
  text: string,
  options: ImportOptions = {},
): FileReport {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: only a string over a quarter of the limit can exceed it.
  if (text.length > MAX_SOURCE_BYTES / 4 && new TextEncoder().encode(text).length > MAX_SOURCE_BYTES) {
    return {
      file,
      kind,
      outputs: [],
      findings: [],
      errors: [`${file}:1:1: larger than ${MAX_SOURCE_BYTES} bytes`],
    };
  }
  const resolved = resolveOptions(options);
  try {
    return convertWith(kind, file, text, resolved);
  } catch (error) {
    // A converter must not throw on any input; if one does, the file is reported rather than the caller failing.
    const message = `${file}:1:1: the ${kind} converter failed on this file (a bug: please report it): ${(error as Error).message}`;
    return { file, kind, outputs: [], findings: [], errors: [message] };
  }
}

function convertWith(kind: ImportKind, file: string, text: string, resolved: ResolvedOptions): FileReport {
  switch (kind) {
    case "cronjob":
      return convertCronJobs(file, text, resolved);
    case "rundeck":
      return convertRundeck(file, text, resolved);
    case "github-actions":
      return convertGithubActions(file, text, resolved);
    case "circleci":
      return convertCircleci(file, text, resolved);
  }
}
