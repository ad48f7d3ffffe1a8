/**
 * @gantry/engine: the adapters around core. It may import core; server and cli import it, never the
 * other way round.
 *
 * - store/: the database (Kysely, SQLite or PostgreSQL): migrations, one query per file, JSON decoders.
 * - service/: run operations that take the caller's UnitOfWork (create, cancel, finish, concurrency groups).
 * - worker/, queue/, run/: the worker's loop over a WorkerQueue (store-queue.ts is the database's), one
 *   executeTask for gantry run and workers; agent/ is the same worker over the server's HTTP API.
 * - runners/: local, docker, kubernetes, ssh. jobs/, artifacts/, caches/, summaries/: CI steps' files.
 * - loader/, sources/, git/, github/: workflow folders, git sources and their checkout, GitHub reports.
 * - scheduler/, triggers/, gates/, subworkflow/, options/, notify/: what starts, waits for, or follows runs.
 * - secrets/, logs/, nodes/, actions/: secret references, log capture and archive, SSH nodes, built-ins.
 * - testing/: helpers for this repository's tests only.
 */
export * from "./agent/index.js";
export * from "./artifacts/context.js";
export * from "./artifacts/tarball.js";
export * from "./artifacts/upload.js";
export * from "./artifacts/workspace-actions.js";
export * from "./caches/scope.js";
export * from "./gates/index.js";
export * from "./git/index.js";
export * from "./github/reporter.js";
export * from "./loader/find-files.js";
export * from "./loader/load-workflow.js";
export * from "./loader/repository-root.js";
export * from "./logs/archiver.js";
export * from "./logs/capture-activity.js";
export * from "./logs/local-archive.js";
export * from "./logs/reader.js";
export * from "./logs/s3-archive.js";
export * from "./logs/types.js";
export * from "./logs/writer.js";
export * from "./nodes/index.js";
export * from "./notify/index.js";
export * from "./options/index.js";
export * from "./queue/notifier.js";
export * from "./queue/pg-notifier.js";
export * from "./queue/store-queue.js";
export * from "./run/events.js";
export * from "./run/execute-task.js";
export * from "./run/report.js";
export * from "./run/run-workflow.js";
export * from "./run/task-secrets.js";
export * from "./runners/index.js";
export * from "./runners/lines.js";
export * from "./runners/local/local-runner.js";
export * from "./runners/router.js";
export * from "./runners/types.js";
export * from "./scheduler/index.js";
export * from "./secrets/index.js";
export * from "./service/cancel-run.js";
export * from "./service/change-signal.js";
export * from "./service/concurrency-group.js";
export * from "./service/context.js";
export * from "./service/create-run.js";
export * from "./service/definition.js";
export * from "./service/definitions.js";
export * from "./service/encryption-keys.js";
export * from "./service/environments.js";
export * from "./service/process-state.js";
export * from "./service/reaper.js";
export * from "./service/register-folder.js";
export * from "./service/rerun-run.js";
export * from "./service/retention.js";
export * from "./service/run-record.js";
export * from "./service/secret-box.js";
export * from "./service/tasks.js";
export * from "./service/unit-of-work.js";
export * from "./sources/index.js";
export * from "./store/database.js";
export * from "./store/database-errors.js";
export * as store from "./store/index.js";
export * from "./subworkflow/index.js";
export * from "./summaries/limits.js";
export * from "./triggers/index.js";
export * from "./worker/create-worker.js";
export * from "./worker/step-host.js";
export * from "./worker/worker.js";
export * from "./worker/worker-queue.js";
