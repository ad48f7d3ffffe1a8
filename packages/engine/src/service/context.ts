import type { NodeRecord } from "@gantry/core";
import type { LogCaptureActivity } from "../logs/capture-activity.js";
import type { NotifySettings } from "../notify/settings.js";
import type { StartCheckCache } from "../options/start-check-cache.js";
import type { LocalWorkers } from "../queue/local-workers.js";
import type { NotifierLike } from "../queue/notifier.js";
import type { SecretCache } from "../secrets/cache.js";
import type { SecretProviders } from "../secrets/registry.js";
import type { Database } from "../store/database.js";
import type { GroupCommits } from "../store/group-commit.js";
import type { ChangeSignal } from "./change-signal.js";
import type { DefinitionCache } from "./definition-cache.js";
import type { EnvironmentConfig } from "./environments.js";
import type { RunStateCache } from "./run-states.js";
import type { SecretBox } from "./secret-box.js";
import type { WorkflowRowCache } from "./workflow-rows.js";

/** What the run operations share: the store, the secret box, the wake-up channel and a clock. */
export interface ServiceContext {
  database: Database;
  box: SecretBox;
  notifier: NotifierLike;
  now: () => number;
  /** Workflow definitions by revision, as this process read them. */
  definitions: DefinitionCache;
  /** Workflow rows this process read, checked as each run started from one is written (see WorkflowRowCache). */
  workflowRows: WorkflowRowCache;
  /** The states of runs this process planned last (see RunStateCache). */
  runStates: RunStateCache;
  /** Grouped writes and reads of this process (run creations, audit entries, workflow reads). */
  groupCommits: GroupCommits;
  /** What the checks of `options_from` inputs keep between run starts. */
  startChecks: StartCheckCache;
  /** This process's workers: a run created here hands its first task to one with a free slot. */
  localWorkers: LocalWorkers;
  /** Wakes this process's scheduler and trigger listeners when their tables change. */
  changes: { schedules: ChangeSignal; triggers: ChangeSignal };
  /** When this process last stored step output: the server's log fan-out yields to it. */
  logCapture: LogCaptureActivity;
  /** The providers `ref+<provider>://` references resolve through: the built-in ones unless a role adds more. */
  secretProviders: SecretProviders;
  /**
   * The secrets and tokens of workflow webhooks (`on.webhook`), kept a minute: a busy hook must not hit
   * Vault or decrypt a sops file on every request, and a rotated secret is picked up within that minute.
   */
  hookSecrets: SecretCache;
  /** The node inventory (gantry.yaml `nodes:`): a run that targets nodes keeps the ones it chose. */
  nodes?: { current(): Promise<{ nodes: NodeRecord[] }> };
  /** Deployment environments (gantry.yaml `environments:`): approvers, branches, wait and secrets. */
  environments?: EnvironmentConfig[];
  /** Notification defaults, SMTP and the public URL (gantry.yaml `notify:`, `smtp:`, `server.public_url`). */
  notify?: NotifySettings;
}

export class NotFoundError extends Error {}

/** Bad input from a caller: each entry names the field and what is wrong. */
export class InvalidInputError extends Error {
  constructor(readonly errors: Array<{ field: string; message: string }>) {
    super(errors.map((e) => e.message).join("; "));
  }
}

export class ConflictError extends Error {}
