import type { Generated } from "kysely";

/**
 * The store's tables. Times are milliseconds since the epoch (a bigint column), JSON is text: the same
 * on SQLite and PostgreSQL, so one set of queries serves both.
 */
export interface WorkflowsTable {
  name: string;
  /** Where it was loaded from: a folder, or a git source name. */
  source: string;
  file: string;
  revision: string;
  /** WorkflowSpec plus its actions, as loaded: what a worker needs to run a step. */
  definition_json: string;
  input_schema_json: string;
  description: string | null;
  updated_at: number;
}

export interface RunsTable {
  id: string;
  workflow: string;
  revision: string;
  status: string;
  trigger_json: string;
  /** Inputs without secret-typed ones; those are only in `secret_inputs`. */
  inputs_json: string;
  /** AES-256-GCM of the secret-typed inputs (JSON), or null. */
  secret_inputs: string | null;
  /** RunInfo without secrets, for the planner. */
  info_json: string;
  /**
   * The planner's RunState without its steps (those are rows of `run_steps`), or "null" before the run
   * was planned. A run written before `run_steps` existed has its steps here too.
   */
  state_json: string;
  outputs_json: string | null;
  error: string | null;
  attempt: number;
  parent_run_id: string | null;
  concurrency_group: string | null;
  cancel_requested: number;
  /** How many log lines the run has: the next line's offset. */
  log_seq: Generated<number>;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** The git source the workflow came from and its commit (null for a folder's workflows). */
  source?: string | null;
  commit_sha?: string | null;
  /** `trigger.type`, kept apart so the runs list can filter by it on an index. */
  trigger_type?: string | null;
  /** AES-256-GCM of the `::add-mask::` values the run's steps registered (a JSON array), or null. */
  masked_values?: string | null;
}

export interface JobsTable {
  id: Generated<number>;
  run_id: string;
  step: string;
  item_index: number;
  attempt: number;
  /** queued | running */
  status: string;
  priority: number;
  available_at: number;
  /** JSON list of labels a worker must all have. */
  labels_json: string;
  worker_id: string | null;
  lease_until: number | null;
  created_at: number;
}

export interface StepAttemptsTable {
  run_id: string;
  step: string;
  item_index: number;
  attempt: number;
  status: string;
  exit_code: number | null;
  worker_id: string | null;
  error: string | null;
  started_at: number | null;
  finished_at: number | null;
}

/** One step's part of a run's state (the planner's StepState), written when that step changes. */
export interface RunStepsTable {
  run_id: string;
  step: string;
  /** The step's place among the run's steps, as the workflow lists them. */
  position: number;
  state_json: string;
}

export interface WorkersTable {
  id: string;
  labels_json: string;
  capacity: number;
  hostname: string;
  started_at: number;
  heartbeat_at: number;
  /** `worker` (reaches the store) or `agent` (reaches only the API). */
  kind: Generated<string>;
  /** The Gantry version it runs; null when it did not say. */
  version: string | null;
}

export interface AgentLogMarksTable {
  job_id: number;
  worker_id: string;
  /** Lines of the job's current attempt taken from this agent so far. */
  lines: number;
  updated_at: number;
}

export interface BundlesTable {
  /** sha256 of the content. */
  hash: string;
  /** JSON: [{path, mode, base64}] of every file in the action folder. */
  content: string;
  created_at: number;
}

export interface LogChunksTable {
  run_id: string;
  first_offset: number;
  step: string;
  item_index: number;
  attempt: number;
  line_count: number;
  /** JSON: the lines packed (see PackedLines in core), or [[stream, ts, text], ...] */
  lines_json: string;
  created_at: number;
}

export interface LogArchivesTable {
  run_id: string;
  step: string;
  item_index: number;
  attempt: number;
  object_key: string;
  first_offset: number | null;
  last_offset: number | null;
  line_count: number;
  bytes: number;
  created_at: number;
}

export interface Tables {
  workflows: WorkflowsTable;
  runs: RunsTable;
  jobs: JobsTable;
  step_attempts: StepAttemptsTable;
  run_steps: RunStepsTable;
  workers: WorkersTable;
  agent_log_marks: AgentLogMarksTable;
  bundles: BundlesTable;
  log_chunks: LogChunksTable;
  log_archives: LogArchivesTable;
}
