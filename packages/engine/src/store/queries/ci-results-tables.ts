import type { Kysely, Selectable, Transaction } from "kysely";
import type { Tables } from "../tables.js";
import type { Db } from "./types.js";

/** Tables of migration 0011, typed here so the store's shared `Tables` stays as it is. */
export interface StepSummariesTable {
  run_id: string;
  /** The step's key as the worker names it (opaque: a step of a job may carry a longer one). */
  step: string;
  item_index: number;
  attempt: number;
  /** Masked, and at most SUMMARY_LIMIT_BYTES (plus the note that says it was cut). */
  markdown: string;
  created_at: number;
}

export interface ArtifactsTable {
  id: string;
  run_id: string;
  workflow: string;
  step: string;
  /** The branch of the run that uploaded it (a pull request's head branch), "" for none. */
  branch: string;
  name: string;
  /** Where the archive (a gzipped tar of the files) is, in the log archive's store. */
  object_key: string;
  files: number;
  /** Bytes of the archive object. */
  size: number;
  /** SHA-256 of the archive object, hex. */
  sha256: string;
  created_at: number;
  expires_at: number | null;
}

export interface CachesTable {
  id: string;
  /** Whose caches: the repository (`github.repository`), else the workflow. */
  namespace: string;
  /** `branch:<name>` or `pr:<number>`: who may read it (see cache/scope.ts). */
  scope: string;
  key: string;
  object_key: string;
  size: number;
  sha256: string;
  created_at: number;
  last_used_at: number;
}

export interface CommitReportsTable {
  run_id: string;
  /** The run's status last reported ("" before the first report succeeded). */
  run_status: string;
  /** The check run made for it (GitHub App reporting), to update. */
  check_run_id: number | null;
  /** Failed tries of the current report. */
  attempts: number;
  /** Not before then: a retry's backoff, or the claim of the process reporting now. */
  next_at: number;
  error: string | null;
  updated_at: number;
}

export type CiResultsTables = {
  step_summaries: StepSummariesTable;
  artifacts: ArtifactsTable;
  caches: CachesTable;
  commit_reports: CommitReportsTable;
};
export type ArtifactRow = Selectable<ArtifactsTable>;
export type CacheRow = Selectable<CachesTable>;
export type StepSummaryRow = Selectable<StepSummariesTable>;

export type CiDb = Kysely<Tables & CiResultsTables> | Transaction<Tables & CiResultsTables>;

/** The same database or transaction, with the CI results' tables in its type. */
export function withCiTables(db: Db): CiDb {
  return db.withTables<CiResultsTables>();
}
