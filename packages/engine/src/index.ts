/**
 * @gantry/engine: the adapters around core. It may import core; server and cli import it, never the
 * other way round.
 *
 * - store/: the database (Kysely, SQLite or PostgreSQL): migrations, one query per file, JSON decoders.
 * - service/: run operations that take the caller's UnitOfWork (create, cancel, finish, concurrency groups).
 * - worker/, queue/, run/: the worker's loop over a WorkerQueue (store-queue.ts is the database's), one
 *   executeTask for gantry run and workers; agent/ is the same worker over the server's HTTP API.
 * - runners/: local, docker, kubernetes, ssh. jobs/, artifacts/, caches/, summaries/: CI steps' files.
 * - loader/, workflow-sources/, git/, github/: workflow folders, git sources and their checkout, GitHub
 *   reports.
 * - scheduler/, triggers/ (event-sources/: one adapter per kind), gates/, subworkflow/, options/, notify/:
 *   what starts, waits for, or follows runs.
 * - secrets/, logs/, nodes/, actions/: secret references, log capture and archive, SSH nodes, built-ins.
 * - testing/: helpers for this repository's tests only.
 *
 * The exports below are what server, cli and bench use; the store's queries are the `store` namespace.
 */
export { AgentApi, AgentApiError } from "./agent/agent-api.js";
export { type AgentIdentity, agentWorkerId } from "./agent/agent-identity.js";
export { MASKS_BATCH_CHARS, MASKS_PER_BATCH, MAX_MASK_CHARS } from "./agent/agent-log-stream.js";
export { AgentOperations } from "./agent/agent-operations.js";
export { createAgent } from "./agent/create-agent.js";
export { runBranch } from "./artifacts/context.js";
export { decideGate } from "./gates/decide.js";
export { expireGates } from "./gates/expire.js";
export { type PendingGate, pendingGates } from "./gates/inbox.js";
export { GitCache } from "./git/cache.js";
export { CommitReporter } from "./github/reporter.js";
export { ACTION_FILE, findYamlFiles } from "./loader/find-files.js";
export { loadActionFile, loadWorkflow } from "./loader/load-workflow.js";
export type { LoadedWorkflow, LoadOptions } from "./loader/loaded-types.js";
export { repositoryRoot } from "./loader/repository-root.js";
export { LogArchiver } from "./logs/archiver.js";
export { LogCaptureActivity } from "./logs/capture-activity.js";
export { LocalLogArchive } from "./logs/local-archive.js";
export { LOG_BATCH_LINES, readLogLines, streamLogLines, tailLogLines } from "./logs/reader.js";
export { type S3ArchiveOptions, S3LogArchive, s3OptionsFromEnv } from "./logs/s3-archive.js";
export type { ByteRange, LogArchiveLike, LogLine } from "./logs/types.js";
export { TaskLogWriter } from "./logs/writer.js";
export { type NodeDefaults, type NodeEntry, nodeEntrySchema, sshSettingsSchema } from "./nodes/entries.js";
export { fingerprint, parsePublicKey } from "./nodes/host-key.js";
export { type InventoryState, NodeInventory } from "./nodes/inventory.js";
export { NotificationSender } from "./notify/sender.js";
export { OptionsResolver, OptionsSourceError } from "./options/resolve-options.js";
export { checkOptionInputs } from "./options/start-check.js";
export { LocalNotifier, type NotifierLike } from "./queue/notifier.js";
export { PgNotifier } from "./queue/pg-notifier.js";
export type { RunEvent } from "./run/events.js";
export { type RunReport, runReport } from "./run/report.js";
export { runWorkflow } from "./run/run-workflow.js";
export { resolveWorkflowSecrets } from "./run/task-secrets.js";
export { createRunners } from "./runners/index.js";
export { LocalRunner } from "./runners/local/local-runner.js";
export type { SshClientSettings } from "./runners/ssh/connect.js";
export { fireScheduleNow } from "./scheduler/fire-now.js";
export { describeSchedulerEvent, Scheduler } from "./scheduler/scheduler.js";
export {
  getScheduleStatus,
  listScheduleStatus,
  type ScheduleFire,
  type ScheduleStatus,
  scheduleFires,
} from "./scheduler/status.js";
export { suspendSchedule } from "./scheduler/suspend.js";
export { createSecretCache } from "./secrets/cache.js";
export { SecretError } from "./secrets/errors.js";
export { findSecretRefs } from "./secrets/ref.js";
export { resolveRefsDeep, resolveSecretRef } from "./secrets/resolve.js";
export { ConflictError, InvalidInputError, NotFoundError, type ServiceContext } from "./service/context.js";
export { type AuditOf, createRun, startRun } from "./service/create-run.js";
export { checkEncryptionKey, EncryptionKeyMismatch, rotateEncryptionKey } from "./service/encryption-keys.js";
export type { EnvironmentConfig } from "./service/environments.js";
export { processState } from "./service/process-state.js";
export { reapExpiredJobs } from "./service/reaper.js";
export { registerFolder } from "./service/register-folder.js";
export { rerunRun } from "./service/rerun-run.js";
export { applyRetention } from "./service/retention.js";
export { SecretBox, shortFingerprint } from "./service/secret-box.js";
export { withUnitOfWork } from "./service/unit-of-work.js";
export {
  type Database,
  migrate,
  openDatabase,
  type SchemaWait,
  schemaStatus,
  waitForSchema,
} from "./store/database.js";
export * as store from "./store/index.js";
export { cancelRunTree } from "./subworkflow/cancel-tree.js";
export { type CheckedWorkflow, subWorkflowProblems } from "./subworkflow/check.js";
export { childRunGraphs } from "./subworkflow/children-view.js";
export { reconcileSubWorkflows } from "./subworkflow/reconcile.js";
export { describeTriggerEvent, TriggerListeners } from "./triggers/listeners.js";
export { getTriggerStatus, listTriggerStatus, type TriggerStatus } from "./triggers/status.js";
export { createWorker, type WorkerOptions } from "./worker/create-worker.js";
export { Worker } from "./worker/worker.js";
export { type SourceConfig, secretResolver } from "./workflow-sources/config.js";
export { type FolderEvent, FolderSource } from "./workflow-sources/folder-source.js";
export { handleGithubWebhook } from "./workflow-sources/github-webhook.js";
export { type LibraryConfig, libraryResolver } from "./workflow-sources/libraries.js";
export { sourcePins } from "./workflow-sources/pins.js";
export { type SourceStatus, SourceSyncer, type SyncerEvent } from "./workflow-sources/syncer.js";
export { HOOK_UNAUTHORIZED, handleWorkflowHook } from "./workflow-sources/workflow-webhook.js";
