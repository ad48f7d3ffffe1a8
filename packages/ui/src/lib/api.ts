/** The Gantry REST API as the UI uses it: typed replies and one error type that keeps field errors. */

import type { FileReport, Finding, ImportKind, Outcome } from "@gantry/import";
import { announceSignedOut } from "./signed-out";

export type RunStatus =
  | "pending"
  | "queued"
  | "running"
  | "waiting"
  | "succeeded"
  | "failed"
  | "cancelled"
  | "timed_out"
  | "skipped";

export const RUN_STATUSES: RunStatus[] = [
  "queued",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
  "skipped",
  "pending",
];

export const FINISHED: ReadonlySet<string> = new Set([
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
  "skipped",
]);

export interface Trigger {
  type: string;
  [key: string]: unknown;
}

export interface RunSummary {
  id: string;
  workflow: string;
  status: RunStatus;
  trigger: Trigger;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface StepReport {
  status: string;
  result?: string | null;
  attempts?: number;
  outputs?: Record<string, unknown>;
  exit_code?: number | null;
  duration_ms?: number | null;
  error?: string;
  /** A matrix leg's name (its values). */
  name?: string;
  /** A job's steps. */
  steps?: Array<{
    id?: string | null;
    name: string;
    status: string;
    duration_ms?: number | null;
    error?: string;
  }>;
  items?: StepReport[];
  /** Markdown the step wrote to $GANTRY_STEP_SUMMARY (masked). */
  summary?: string;
  /** The item's value, in an entry of `items`. */
  item?: unknown;
  /** Set while the step waits in the queue: "waiting for a worker with runner:docker". */
  waiting_for?: string;
  /** Set when no live worker has the labels the step needs. */
  warning?: string;
  /** An approval node, or a step behind its environment's approval. */
  gate?: {
    kind: "approval" | "environment";
    environment?: string;
    message?: string;
    decision?: { decision: string; by: string };
  };
}

export interface Artifact {
  name: string;
  step: string;
  files: number;
  size: number;
  sha256: string;
  created_at: string;
  expires_at: string | null;
  download_url: string;
}

/** An approval node, or a step behind its environment's approval, waiting for a decision. */
export interface PendingApproval {
  run_id: string;
  workflow: string;
  step: string;
  kind: "approval" | "environment";
  environment: string | null;
  url: string | null;
  message: string | null;
  approvers: { roles?: string[]; users?: string[]; groups?: string[] };
  input_schema: JsonSchemaObject;
  since: string | null;
  expires_at: string | null;
  on_timeout: "approve" | "reject" | null;
  can_decide: boolean;
  refusal: string | null;
}

export interface RunNotification {
  id: string;
  event: string;
  channel: string;
  target: string;
  status: "queued" | "sent" | "failed";
  attempts: number;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
  next_at: string | null;
}

export interface Deployment {
  id: string;
  environment: string;
  run_id: string;
  step: string;
  workflow: string;
  commit: string | null;
  url: string | null;
  inputs: Record<string, unknown>;
  started_by: string | null;
  approved_by: string | null;
  created_at: string;
  status: string;
  run_status: string;
}

export interface EnvironmentInfo {
  name: string;
  approvers: { roles?: string[]; users?: string[]; groups?: string[] };
  branches: string[] | null;
  wait_seconds: number;
  secrets: string[];
  url: string | null;
  last_deployment: Deployment | null;
}

export interface RunDetail extends RunSummary {
  revision: string;
  attempt: number;
  parent_run_id: string | null;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  error: string | null;
  steps: Record<string, StepReport>;
}

/** The current options of an `options_from` input, for the values of the inputs it depends on. */
export interface InputOptions {
  options: { value: string | number | boolean; label?: string }[];
  waiting_for: string[];
  computed_at: string;
  run_id?: string;
}

/** Which workflow revision a re-run uses: the run's own, or the workflow's as it is now. */
export type RerunRevision = "pinned" | "current";

export interface WorkflowStep {
  id: string;
  name: string;
  needs: string[];
  /** The step opted out of the script-injection check. */
  unsafe_interpolation?: boolean;
}

export interface Workflow {
  name: string;
  description: string | null;
  source: string;
  file: string;
  revision: string;
  updated_at: string;
  input_schema: JsonSchemaObject;
  triggers: Record<string, unknown>;
  steps: WorkflowStep[];
  last_run?: RunSummary | null;
}

export interface JsonSchemaObject {
  type: "object";
  properties?: Record<string, Record<string, unknown>>;
  required?: string[];
  [key: string]: unknown;
}

export interface ScheduleFire {
  scheduled_time: string;
  kind: "cron" | "manual";
  status: "fired" | "skipped" | "missed" | "failed";
  run_id: string | null;
  reason: string | null;
  recorded_at: string;
}

export interface Schedule {
  id: string;
  workflow: string;
  cron: string;
  timezone: string;
  state: "active" | "suspended";
  inputs: Record<string, unknown>;
  concurrency: "allow" | "forbid" | "replace";
  catch_up: "none" | "latest" | "all";
  starting_deadline_seconds: number | null;
  next: string[];
  last_fire: ScheduleFire | null;
}

export interface Dashboard {
  hours: { start: string; counts: Partial<Record<RunStatus, number>> }[];
  totals: Partial<Record<RunStatus, number>>;
  queue_depth: number;
  running: RunSummary[];
  failures: RunSummary[];
  next_fires: { schedule: string; workflow: string; time: string }[];
}

export interface Source {
  name: string;
  url: string;
  ref: string;
  path: string;
  interval_seconds: number;
  github_repository: string | null;
  state: "ok" | "error" | "never";
  syncing: boolean;
  active_commit: string | null;
  activated_at: string | null;
  seen_commit: string | null;
  last_sync_at: string | null;
  errors: string[];
  workflows: string[];
}

/** A folder of workflows (`--dir`): what is active, and why its files as they are now are not. */
export interface WorkflowFolder {
  dir: string;
  state: "ok" | "error" | "never";
  checked_at: string | null;
  loaded_at: string | null;
  errors: string[];
  workflows: string[];
}

export interface EventTrigger {
  id: string;
  workflow: string;
  kind: string;
  config: Record<string, unknown>;
  inputs: Record<string, unknown>;
  state: "stopped" | "standby" | "connecting" | "connected" | "reconnecting";
  connected: boolean;
  holder: string | null;
  connected_at: string | null;
  last_event_at: string | null;
  last_run_id: string | null;
  last_error: string | null;
  last_error_at: string | null;
  events: number;
  failures: number;
  state_at: string;
  recent?: {
    key: string;
    status: "started" | "failed";
    run_id: string | null;
    error: string | null;
    received_at: string;
  }[];
  /** Events dropped as duplicates, and runs whose inputs found nothing in the event. */
  notes?: {
    kind: "duplicate" | "unmapped";
    key: string | null;
    run_id: string | null;
    message: string;
    at: string;
  }[];
}

export interface WorkerInfo {
  id: string;
  hostname: string;
  /** agent: reaches only the API (gantry agent); worker: reaches the store. */
  kind: "worker" | "agent";
  /** The Gantry version it runs (agents say). */
  version: string | null;
  labels: string[];
  runners: string[];
  capacity: number;
  running: number;
  state: "online" | "silent";
  started_at: string;
  heartbeat_at: string;
}

export interface NodeInfo {
  name: string;
  host: string;
  port: number;
  user: string | null;
  tags: string[];
  attributes: Record<string, string>;
  auth: "key" | "password" | "none";
  host_keys: Array<{ type: string; fingerprint: string }>;
  origin: string;
}

export interface NodeList {
  nodes: NodeInfo[];
  total: number;
  problems: string[];
}
/** `POST /api/v1/import`'s reply: the converter's own report type. */
export type ImportReport = FileReport;
export type ImportFinding = Finding;
export type ImportOutcome = Outcome;
export type { ImportKind };

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

export interface Me {
  authenticated: boolean;
  kind?: "user" | "key" | "local";
  id?: string;
  name?: string;
  email?: string | null;
  role?: "viewer" | "operator" | "admin";
  scope?: string | null;
  auth_mode: string;
  csrf_token?: string | null;
  login_url: string | null;
  /** Where the sign-in page posts an API key (null when the server asks for no sign-in). */
  key_login_url?: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  role: "viewer" | "operator" | "admin" | "agent";
  /** An agent key's labels: the jobs its agents may claim. */
  labels?: string[];
  scope: string | null;
  hint: string;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  state: "active" | "expired" | "revoked";
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  actor_name: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
  ip: string | null;
}

/**
 * The session's CSRF token, from GET /auth/me: a signed-in browser sends it back in a header on every
 * change (API keys and the local mode need none).
 */
let csrf: string | undefined;
export function setCsrfToken(token: string | null | undefined): void {
  csrf = token ?? undefined;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  // The server records runs this page starts as trigger "ui" (with the user), not "api".
  const headers: Record<string, string> = { accept: "application/json", "x-gantry-client": "ui" };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const token = init.method && init.method !== "GET" ? csrf : undefined;
  if (token) headers["x-csrf-token"] = token;
  const response = await fetch(path, {
    method: init.method ?? "GET",
    headers,
    credentials: "same-origin",
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    if (response.status === 401 && !path.startsWith("/auth/")) announceSignedOut();
    const body = (data ?? {}) as { error?: string; message?: string; errors?: FieldError[] };
    throw new ApiError(response.status, body.error ?? body.message ?? response.statusText, body.errors ?? []);
  }
  return data as T;
}

export const endpoints = {
  workflows: () => api<{ workflows: Workflow[] }>("/api/v1/workflows"),
  workflow: (name: string) => api<Workflow>(`/api/v1/workflows/${encodeURIComponent(name)}`),
  inputOptions: (workflow: string, input: string, values: Record<string, string>) =>
    api<InputOptions>(
      `/api/v1/workflows/${encodeURIComponent(workflow)}/inputs/${encodeURIComponent(input)}/options?${new URLSearchParams(values)}`,
    ),
  startRun: (name: string, inputs: Record<string, unknown>) =>
    api<{ id: string }>(`/api/v1/workflows/${encodeURIComponent(name)}/runs`, {
      method: "POST",
      body: { inputs },
    }),
  runs: (query: Record<string, string | undefined>) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
    return api<{ runs: RunSummary[]; next_cursor: string | null }>(`/api/v1/runs?${params}`);
  },
  run: (id: string) => api<RunDetail>(`/api/v1/runs/${encodeURIComponent(id)}`),
  artifacts: (id: string) =>
    api<{ artifacts: Artifact[] }>(`/api/v1/runs/${encodeURIComponent(id)}/artifacts`),
  cancel: (id: string) =>
    api<{ status: string }>(`/api/v1/runs/${encodeURIComponent(id)}/cancel`, { method: "POST" }),
  rerun: (id: string, options: { fromFailed?: boolean; fromStep?: string; revision?: RerunRevision } = {}) =>
    api<{ id: string; revision: string }>(`/api/v1/runs/${encodeURIComponent(id)}/rerun`, {
      method: "POST",
      body: {
        ...(options.fromFailed ? { from_failed: true } : {}),
        ...(options.fromStep ? { from_step: options.fromStep } : {}),
        ...(options.revision ? { revision: options.revision } : {}),
      },
    }),
  me: async (): Promise<Me> => {
    const response = await fetch("/auth/me", {
      headers: { accept: "application/json" },
      credentials: "same-origin",
    });
    // 401 is an answer here ("not signed in", with where to sign in), not an error.
    if (response.status !== 200 && response.status !== 401)
      throw new ApiError(response.status, response.statusText);
    return (await response.json()) as Me;
  },
  logout: () => api<{ logged_out: boolean; logout_url: string | null }>("/auth/logout", { method: "POST" }),
  keySignIn: (key: string) =>
    api<{ authenticated: boolean; name: string; role: string }>("/auth/key", {
      method: "POST",
      body: { key },
    }),
  keys: () => api<{ keys: ApiKey[] }>("/api/v1/keys"),
  createKey: (body: { name: string; role: string; labels?: string[]; scope?: string; expires_in?: string }) =>
    api<ApiKey & { key: string }>("/api/v1/keys", { method: "POST", body }),
  revokeKey: (id: string) => api<ApiKey>(`/api/v1/keys/${encodeURIComponent(id)}`, { method: "DELETE" }),
  audit: (before?: number) =>
    api<{ entries: AuditEntry[]; next_cursor: number | null }>(
      `/api/v1/audit?limit=100${before ? `&before=${before}` : ""}`,
    ),
  dashboard: () => api<Dashboard>("/api/v1/dashboard"),
  schedules: (next = 5) => api<{ schedules: Schedule[] }>(`/api/v1/schedules?next=${next}`),
  scheduleFires: (id: string) =>
    api<{ fires: ScheduleFire[] }>(`/api/v1/schedules/${encodeURIComponent(id)}/fires`),
  setSuspended: (id: string, suspend: boolean) =>
    api<Schedule>(`/api/v1/schedules/${encodeURIComponent(id)}/${suspend ? "suspend" : "resume"}`, {
      method: "POST",
    }),
  workers: () => api<{ workers: WorkerInfo[] }>("/api/v1/workers"),
  nodes: (filter: string) =>
    api<NodeList>(`/api/v1/nodes${filter.trim() ? `?filter=${encodeURIComponent(filter)}` : ""}`),
  triggers: () => api<{ triggers: EventTrigger[] }>("/api/v1/triggers?recent=5"),
  sources: () => api<{ sources: Source[]; folders?: WorkflowFolder[] }>("/api/v1/sources"),
  syncSource: (name: string) =>
    api<{ source: Source; activated: boolean; head: string | null }>(
      `/api/v1/sources/${encodeURIComponent(name)}/sync`,
      { method: "POST" },
    ),
  importFile: (body: { kind: ImportKind; text: string; file?: string; runner?: "kubernetes" | "docker" }) =>
    api<import("@gantry/import").FileReport>("/api/v1/import", { method: "POST", body }),
  approvals: (runId?: string) =>
    api<{ approvals: PendingApproval[] }>(
      `/api/v1/approvals${runId ? `?run_id=${encodeURIComponent(runId)}` : ""}`,
    ),
  decide: (
    runId: string,
    step: string,
    body: { decision: "approve" | "reject"; inputs?: Record<string, unknown>; comment?: string },
  ) =>
    api<{ run_status: string }>(
      `/api/v1/runs/${encodeURIComponent(runId)}/approvals/${encodeURIComponent(step)}`,
      { method: "POST", body },
    ),
  runNotifications: (runId: string) =>
    api<{ notifications: RunNotification[] }>(`/api/v1/runs/${encodeURIComponent(runId)}/notifications`),
  environments: () => api<{ environments: EnvironmentInfo[] }>("/api/v1/environments"),
  deployments: (environment?: string) =>
    api<{ deployments: Deployment[] }>(
      `/api/v1/deployments${environment ? `?environment=${encodeURIComponent(environment)}` : ""}`,
    ),
  fireNow: (id: string) =>
    api<{ run_id: string }>(`/api/v1/schedules/${encodeURIComponent(id)}/fire`, { method: "POST" }),
};
