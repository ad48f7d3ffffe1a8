import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  Masker,
  maskDeep,
  Planner,
  PrepareError,
  prepareTask,
  runnerTypeLabel,
  type TaskOutcome,
} from "@gantry/core";
import { DEFAULT_FILES_LIMITS, type FilesLimits } from "../artifacts/context.js";
import { jobFilesOf } from "../artifacts/job-files.js";
import {
  type WorkspaceActionName,
  workspaceActionOf,
  workspaceHooks,
} from "../artifacts/workspace-actions.js";
import { type EnvironmentSecretsSource, environmentSecrets } from "../gates/environment-secrets.js";
import { executeJob } from "../jobs/execute-job.js";
import { maskedJobOutcome } from "../jobs/mask-outcome.js";
import type { LogArchiver } from "../logs/archiver.js";
import type { LogArchiveLike } from "../logs/types.js";
import { type LogWriterOptions, TaskLogWriter } from "../logs/writer.js";
import { RECONNECTED } from "../queue/notifier.js";
import { resolveTaskSecrets, resolveWorkflowSecrets } from "../run/task-secrets.js";
import { secretsWithheld, WITHHELD_NOTICE, withoutSecretRefs } from "../run/withheld-secrets.js";
import type { RunnerLike, RunnerResult, Stream } from "../runners/types.js";
import { createSecretCache, type SecretCache } from "../secrets/index.js";
import { addRunMasks, takeAddMask } from "../secrets/run-masks.js";
import type { ServiceContext } from "../service/context.js";
import { runState } from "../service/run-record.js";
import { type ClaimedTask, finishTask, type Job, startTask } from "../service/tasks.js";
import { withUnitOfWork } from "../service/unit-of-work.js";
import { claimJobs } from "../store/queries/claim-jobs.js";
import { lockRun } from "../store/queries/lock-run.js";
import { nextAvailableAt } from "../store/queries/next-available.js";
import { renewLeases } from "../store/queries/renew-leases.js";
import { insertStepSummary } from "../store/queries/step-summaries.js";
import { updateRun } from "../store/queries/update-run.js";
import { upsertWorker } from "../store/queries/upsert-worker.js";
import { completeParent, isSubWorkflowTask, startChildRun } from "../subworkflow/child-run.js";
import { withinCallDeadline } from "../subworkflow/deadline.js";
import { withInheritedSecrets } from "../subworkflow/secrets.js";
import { boundedSummary } from "../summaries/limits.js";
import { BundleCache } from "./bundle-cache.js";

const SECRET_CACHE_TTL_MS = 300_000;
/** 100 ms doubling to 5 s: about 30 s of retrying, the default lease. */
const FINISH_RETRIES = 10;
/** How often containers and pods of crashed workers are looked for (and once at start). */
const ORPHAN_SWEEP_MS = 60_000;

export interface WorkerOptions {
  id?: string;
  labels?: string[];
  /** How many steps this worker runs at once. */
  concurrency?: number;
  /** A claim is a lease for this long; the worker renews it every third of it. */
  leaseMs?: number;
  /** Idle workers are woken by notifications; this poll is only the fallback. */
  pollMs?: number;
  /** On stop, how long running steps get to finish before they are handed back. */
  graceMs?: number;
  cacheDir: string;
  /**
   * Runs the steps. The worker offers the runner types it declares in `types` (only `local` when it
   * declares none) and claims only jobs of those types; see runners/index.ts createRunners.
   */
  runner: RunnerLike;
  onLine?: (line: {
    runId: string;
    step: string;
    index: number;
    attempt: number;
    stream: Stream;
    line: string;
  }) => void;
  onError?: (error: Error) => void;
  /** Called when an attempt ends, for metrics. */
  onFinished?: (seconds: number, status: string) => void;
  /** Where step logs go: batched into the store while the step runs, archived when it ends. */
  logs?: { archiver: LogArchiver; writer?: LogWriterOptions };
  /** Called on each claim with how long the job waited after it became ready, for metrics. */
  onClaimed?: (waitedSeconds: number) => void;
  /**
   * Artifacts and caches (gantry/upload-artifact, download-artifact, cache): they are kept in `objects`,
   * the store that keeps finished logs. Without it those steps fail, saying so.
   */
  files?: {
    objects: LogArchiveLike;
    limits?: Partial<FilesLimits>;
    /** Where their workspaces are made; a docker engine must see this path (default: the OS's temporary folder). */
    workspaceRoot?: string;
  };
  /** gantry.yaml `environments:`: a step deploying to one gets its secrets. */
  environments?: EnvironmentSecretsSource;
}

/**
 * The worker's life, one state at a time:
 * - `starting`: registering itself;
 * - `running`: claiming jobs up to its concurrency, woken by notifications (polling every `pollMs` as
 *   the fallback), renewing its leases;
 * - `draining`: claims nothing more; running steps get `graceMs` to finish, then are handed back;
 * - `stopped`.
 */
export type WorkerState = "starting" | "running" | "draining" | "stopped";

interface Active {
  job: Job;
  abort: AbortController;
  handedBack: boolean;
  /** A clean-up step (`if: always()`) queued by the run's cancel: that cancel must not stop it. */
  cleanup: boolean;
  done: Promise<void>;
  /** When its lease ends as far as this worker knows: set at the claim, moved by each renewal. */
  leaseUntil: number;
  /** Its step's process has ended (only the result and the log are left to store). */
  settled: boolean;
  /** Why this worker gave the step up: it could not keep the lease, so another try will run. */
  lost?: string;
}

export class Worker {
  readonly id: string;
  state: WorkerState = "starting";
  /** The operator's labels plus `runner:<type>` for each runner type offered: what claims match. */
  private readonly labels: string[];
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly graceMs: number;
  private readonly bundles: BundleCache;
  private readonly active = new Map<number, Active>();
  /**
   * Set by every wake-up (a notification, a task ending in a full worker, stop). The claim loop clears it before each
   * claim and does not sleep when it was set meanwhile: a notification that arrives while a claim is in
   * flight announces a job that claim may not have seen, and must not wait for the next poll.
   */
  private woken = false;
  /**
   * Whether the queue must be asked when the soonest delayed job becomes due: at start, and after the
   * notifier reconnected (notifications were lost meanwhile). Otherwise the notifications of delayed
   * jobs carry that time, and an idle worker's fallback poll costs one statement, not two.
   */
  private askNextDue = true;
  /** When the soonest delayed job a notification announced becomes due. */
  private nextDue = Number.POSITIVE_INFINITY;
  private endSleep: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** A renewal sooner than the next heartbeat, after one failed. */
  private renewRetry: NodeJS.Timeout | undefined;
  private beating = false;
  /**
   * A claim or a finish failed after its statement may have committed (the answer lost with the
   * connection): the store may hold jobs for this worker that it does not know of. Looked for when
   * nothing that takes jobs is in flight (`taking`), so a job is never started twice here.
   */
  private adoptPending = false;
  private taking = 0;
  private leaseWatch: NodeJS.Timeout | undefined;
  private orphanSweep: NodeJS.Timeout | undefined;
  private unsubscribe: Array<() => void> = [];
  private readonly secretCaches = new Map<string, SecretCache>();
  /** The secrets each running job's step knew, for finishTask to mask the run's record with. */
  private readonly knownSecrets = new Map<number, string[]>();
  /** The values each running job's step registered with ::add-mask::, kept (sealed) with its run. */
  private readonly addedMasks = new Map<number, Set<string>>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: WorkerOptions,
  ) {
    this.id = options.id ?? `${os.hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const types = options.runner.types ?? ["local"];
    this.labels = [...new Set([...(options.labels ?? []), ...types.map(runnerTypeLabel)])];
    this.concurrency = options.concurrency ?? 4;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 5_000;
    this.graceMs = options.graceMs ?? 30_000;
    this.bundles = new BundleCache(ctx.database.db, options.cacheDir);
  }

  async start(): Promise<void> {
    await this.register();
    this.unsubscribe.push(
      this.ctx.notifier.subscribe("jobs", (payload) => this.jobsQueued(payload)),
      this.ctx.notifier.subscribe("cancel", (runId) => this.cancelRun(runId)),
    );
    this.heartbeat = setInterval(() => void this.beat(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.leaseWatch = setInterval(() => this.watchLeases(), Math.max(25, Math.floor(this.leaseMs / 20)));
    if (this.options.runner.removeOrphans) {
      void this.removeOrphans();
      this.orphanSweep = setInterval(() => void this.removeOrphans(), ORPHAN_SWEEP_MS);
      this.orphanSweep.unref();
    }
    this.state = "running";
    this.loop = this.claimLoop();
  }

  /** Steps running now (for metrics). */
  get running(): number {
    return this.active.size;
  }

  /** Graceful stop (SIGTERM): claim nothing more, let running steps finish within the grace period. */
  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    this.state = "draining";
    this.wakeUp();
    await this.loop;
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, this.graceMs).unref());
    await Promise.race([Promise.all([...this.active.values()].map((a) => a.done)), deadline]);
    for (const active of this.active.values()) {
      active.handedBack = true;
      active.abort.abort();
    }
    await Promise.all([...this.active.values()].map((a) => a.done));
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.leaseWatch) clearInterval(this.leaseWatch);
    if (this.renewRetry) clearTimeout(this.renewRetry);
    if (this.orphanSweep) clearInterval(this.orphanSweep);
    for (const off of this.unsubscribe) off();
    this.state = "stopped";
  }

  private async register(): Promise<void> {
    const now = this.ctx.now();
    await upsertWorker(this.ctx.database.db, {
      id: this.id,
      labels_json: JSON.stringify(this.labels),
      capacity: this.concurrency,
      hostname: os.hostname(),
      started_at: now,
      heartbeat_at: now,
    });
  }

  private async beat(): Promise<void> {
    // A renewal still waiting on a slow database is not doubled: the next one starts when it is over.
    if (this.beating) return;
    this.beating = true;
    if (this.renewRetry) clearTimeout(this.renewRetry);
    this.renewRetry = undefined;
    try {
      // An idle worker holds no lease: skipping the renewal keeps an idle cluster's database quiet.
      const held = [...this.active.values()].filter((a) => a.lost === undefined);
      if (held.length > 0) {
        const until = this.ctx.now() + this.leaseMs;
        const renewed = new Set(
          await renewLeases(
            this.ctx.database.db,
            this.id,
            until,
            held.map((a) => a.job.id),
          ),
        );
        for (const active of held) {
          if (renewed.has(active.job.id)) active.leaseUntil = until;
          // Finished meanwhile (its job deleted with its result), or taken away: the reaper found its
          // lease over. Another try may run already; this one must stop at once.
          else if (this.active.get(active.job.id) === active && !active.settled && !active.handedBack)
            this.giveUp(active, "its lease was taken over by the reaper");
        }
      }
      await this.register();
      // The fallback for a cancel notification that never arrived (a dropped LISTEN connection).
      const runIds = [...new Set([...this.active.values()].map((a) => a.job.run_id))];
      if (runIds.length > 0) {
        const cancelled = await this.ctx.database.db
          .selectFrom("runs")
          .select("id")
          .where("id", "in", runIds)
          .where("cancel_requested", "=", 1)
          .execute();
        for (const r of cancelled) this.cancelRun(r.id);
      }
    } catch (error) {
      this.options.onError?.(error as Error);
      // The database is away: try again every second (within the lease), so that the lease is renewed as
      // soon as it is back, not a third of a lease later.
      if (this.state === "running" || this.active.size > 0)
        this.renewRetry = setTimeout(() => void this.beat(), Math.min(1000, Math.floor(this.leaseMs / 10)));
    } finally {
      this.beating = false;
    }
  }

  /**
   * Stops the steps whose lease this worker could not renew, a third of a lease before it ends (time for
   * SIGTERM, the kill grace and SIGKILL in the default 30 s lease): the reaper queues a new try only
   * once the lease is over, so the two never run at once.
   */
  private watchLeases(): void {
    const now = this.ctx.now();
    for (const active of this.active.values()) {
      if (active.lost !== undefined || active.settled || active.handedBack) continue;
      if (now >= active.leaseUntil - this.leaseMs / 3)
        this.giveUp(
          active,
          `could not renew its lease for ${Math.round((now - active.leaseUntil + this.leaseMs) / 1000)} s (the database is unreachable)`,
        );
    }
  }

  private giveUp(active: Active, why: string): void {
    active.lost = `worker lost: ${this.id} stopped its step: it ${why}`;
    this.options.onError?.(new Error(`${active.job.step} of run ${active.job.run_id}: ${active.lost}`));
    active.abort.abort();
  }

  /**
   * Removes containers and pods whose worker crashed: a worker is alive while its heartbeat is younger
   * than three leases (the reaper has handed its steps to others by then).
   */
  async removeOrphans(): Promise<number> {
    try {
      const since = this.ctx.now() - 3 * this.leaseMs;
      const removed =
        (await this.options.runner.removeOrphans?.(async (workerId) => {
          if (workerId === this.id) return true;
          const row = await this.ctx.database.db
            .selectFrom("workers")
            .select("heartbeat_at")
            .where("id", "=", workerId)
            .executeTakeFirst();
          return row !== undefined && row.heartbeat_at >= since;
        })) ?? 0;
      return removed;
    } catch (error) {
      this.options.onError?.(new Error(`removing orphaned containers: ${(error as Error).message}`));
      return 0;
    }
  }

  /** One cache per run: its references resolve once, and a rotated secret is picked up by the next run. */
  private secretCache(runId: string): SecretCache {
    let cache = this.secretCaches.get(runId);
    if (!cache) {
      cache = createSecretCache(SECRET_CACHE_TTL_MS);
      this.secretCaches.set(runId, cache);
      // Bounded: a long-lived worker forgets the oldest runs' caches.
      if (this.secretCaches.size > 1000)
        this.secretCaches.delete(this.secretCaches.keys().next().value as string);
    }
    return cache;
  }

  private cancelRun(runId: string): void {
    for (const active of this.active.values())
      if (active.job.run_id === runId && !active.cleanup) active.abort.abort();
  }

  private wakeUp(): void {
    this.woken = true;
    this.endSleep?.();
  }

  /**
   * A "jobs" notification: its payload, when set, is when a delayed job becomes due (epoch ms), or
   * RECONNECTED when notifications may have been lost.
   */
  private jobsQueued(payload: string): void {
    if (payload === RECONNECTED) this.askNextDue = true;
    const due = payload === "" ? Number.NaN : Number(payload);
    if (Number.isFinite(due)) this.nextDue = Math.min(this.nextDue, due);
    this.wakeUp();
  }

  private async claimLoop(): Promise<void> {
    while (this.state === "running") {
      this.woken = false;
      let filled = false;
      let sleepMs = this.active.size < this.concurrency ? this.pollMs : 60_000;
      if (this.adoptPending && this.taking === 0) await this.adopt();
      if (this.active.size < this.concurrency) {
        try {
          const now = this.ctx.now();
          // Every free slot at once: fewer jobs than asked means the queue is empty for now, with no
          // second claim to find that out.
          const free = this.concurrency - this.active.size;
          const jobs = await claimJobs(
            this.ctx.database.db,
            this.ctx.database.dialect,
            { id: this.id, labels: this.labels },
            now,
            now + this.leaseMs,
            free,
          ).catch((error: Error) => {
            this.adoptPending = true;
            throw error;
          });
          for (const job of jobs) {
            this.options.onClaimed?.(Math.max(0, now - job.available_at) / 1000);
            this.begin(job);
          }
          filled = jobs.length === free;
          if (!filled) {
            // A retry waiting out its delay was announced when it was queued, not when it becomes due:
            // wake for it then, not at the next fallback poll (5 s by default, far beyond most delays).
            // Its notification carried that time; the queue is asked only at start and after the
            // notifier reconnected, not after every notification (a statement per run under load).
            if (this.nextDue <= now) this.nextDue = Number.POSITIVE_INFINITY;
            if (this.askNextDue) {
              this.askNextDue = false;
              const next = await nextAvailableAt(this.ctx.database.db, now);
              if (next !== undefined) this.nextDue = Math.min(this.nextDue, next);
            }
            if (this.nextDue !== Number.POSITIVE_INFINITY)
              sleepMs = Math.min(sleepMs, Math.max(0, this.nextDue - this.ctx.now()));
          }
        } catch (error) {
          this.options.onError?.(error as Error);
        }
      }
      if (!filled && this.state === "running") await this.sleep(sleepMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.endSleep = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.endSleep = done;
    });
  }

  /** Runs a claimed job; `claimed` when it was started already (taken over by finishTask). */
  private begin(job: Job, claimed?: ClaimedTask): void {
    const abort = new AbortController();
    const active: Active = {
      job,
      abort,
      handedBack: false,
      cleanup: false,
      done: Promise.resolve(),
      leaseUntil: job.lease_until ?? this.ctx.now() + this.leaseMs,
      settled: false,
    };
    active.done = this.execute(active, claimed)
      .catch((error: Error) => this.options.onError?.(error))
      .finally(() => {
        this.active.delete(job.id);
        // A slot opened in a full worker: its loop stopped claiming, so wake it. A worker with slots to
        // spare found the queue empty at its last claim and is woken by the next notification: claiming
        // after every step would cost a statement each (measured: 4 claims per two-step run, now 2).
        if (this.active.size === this.concurrency - 1 || this.state !== "running") this.wakeUp();
      });
    this.active.set(job.id, active);
  }

  private async execute(active: Active, started?: ClaimedTask): Promise<void> {
    const claimed =
      started ??
      (await this.persistently(() =>
        withUnitOfWork(this.ctx, (tx) => startTask(this.ctx, tx, active.job, this.id)),
      ));
    if (!claimed) return;
    // A sub-workflow step starts its child run and gives its slot back at once: the child's end finishes it.
    if (isSubWorkflowTask(claimed)) {
      await startChildRun(this.ctx, claimed, this.id);
      // A child that could not start failed the step, and maybe its run: which may be a child too.
      if (claimed.info.trigger.type === "workflow_call") await completeParent(this.ctx, active.job.run_id);
      return;
    }
    if (claimed.state.cancelRequested) {
      // Only clean-up steps (`if: always()` or `cancelled()`) are started after a cancel. The cancel's
      // notification, or the heartbeat's cancel_requested check, must not stop them as well.
      active.cleanup = true;
      if (active.abort.signal.aborted && !active.handedBack) active.abort = new AbortController();
    }
    const { outcome, archive } = await this.run(claimed, active.abort.signal);
    const secrets = this.knownSecrets.get(active.job.id) ?? [];
    this.knownSecrets.delete(active.job.id);
    const masks = [...(this.addedMasks.get(active.job.id) ?? [])];
    this.addedMasks.delete(active.job.id);
    active.settled = true;
    if (active.handedBack) {
      // The same attempt runs again elsewhere: its chunks so far are archived first (see run).
      await archive();
      return this.handBack(claimed);
    }
    if (active.lost !== undefined) {
      // The step was stopped because its lease could not be kept: the try was lost with this worker's
      // database connection, not failed by the step. Reported as such once the database is back (the
      // reaper does the same after the lease, and whichever comes first counts; the other is fenced off).
      await archive();
      await this.persistently(() =>
        withUnitOfWork(this.ctx, (tx) =>
          finishTask(
            this.ctx,
            tx,
            active.job,
            { status: "failed", exitCode: null, error: active.lost, workerLost: true },
            this.id,
            { masks },
          ),
        ),
      );
      return;
    }
    if (outcome.startedAt !== undefined && outcome.finishedAt !== undefined) {
      this.options.onFinished?.((outcome.finishedAt - outcome.startedAt) / 1000, outcome.status);
    }
    // The result must not be lost to a dropped database connection: retry until the store takes it
    // (finishTask is safe to repeat: a second call finds its job gone and does nothing).
    // While running, this worker takes a successor that became ready itself (see FinishOptions.take).
    this.taking++;
    const taken = await this.persistently(() =>
      withUnitOfWork(this.ctx, (tx) =>
        finishTask(this.ctx, tx, active.job, outcome, this.id, {
          group: claimed.run.concurrency_group,
          secrets,
          masks,
          ...(this.state === "running"
            ? { take: { workerId: this.id, labels: this.labels, leaseUntil: this.ctx.now() + this.leaseMs } }
            : {}),
        }),
      ).catch((error: Error) => {
        // Committed with its answer lost, maybe, and a successor taken with it.
        this.adoptPending = true;
        throw error;
      }),
    ).finally(() => this.taking--);
    // The last step of a child run ends its parent's waiting step.
    if (claimed.info.trigger.type === "workflow_call") await completeParent(this.ctx, active.job.run_id);
    if (taken) {
      // Stopping began meanwhile: the successor goes back to the queue for another worker.
      if (this.state !== "running") await this.handBack(taken);
      else {
        this.options.onClaimed?.(0);
        this.begin(taken.job, taken);
      }
    }
    // After the result is stored and the successor started: the archive is off the run's critical
    // path (about 2 ms a step that printed, measured in bench/: api-light), and until it is done the
    // chunks serve the log.
    await archive();
  }

  /** Runs the step and stores its log; `archive` then moves the log to the archive. */
  private async run(
    claimed: ClaimedTask,
    signal: AbortSignal,
  ): Promise<{ outcome: TaskOutcome; archive: () => Promise<void> }> {
    const { job } = claimed;
    const key = { run_id: job.run_id, step: job.step, item_index: job.item_index, attempt: job.attempt };
    const writer = new TaskLogWriter(this.ctx, key, this.options.logs?.writer, (error) =>
      this.options.onError?.(new Error(`logs of ${job.step}: ${error.message}`)),
    );
    const outcome = await this.runStep(claimed, signal, writer);
    // Why a step failed before or outside its process (an input, a secret) belongs in its log too.
    if (outcome.error && outcome.exitCode === null) writer.line("stderr", `gantry: ${outcome.error}`);
    await writer.close();
    // A step that printed nothing has no chunks to archive (an attempt runs again only after a hand-back,
    // which archived its chunks first): skipping saves a query and a spool file per quiet step.
    const archive = async () => {
      if (writer.lines > 0)
        await this.options.logs?.archiver
          .archiveTask(key)
          .catch((error: Error) => this.options.onError?.(error));
    };
    return { outcome, archive };
  }

  private async runStep(
    claimed: ClaimedTask,
    signal: AbortSignal,
    writer: TaskLogWriter,
  ): Promise<TaskOutcome> {
    const { definition, info, state, task, job } = claimed;
    const planner = new Planner(definition.workflow, info);
    const action = definition.actions[task.step];
    const masker = new Masker();
    // Values earlier steps of the run registered with ::add-mask::, and those this step registers.
    addRunMasks(masker, claimed.run.masked_values, this.ctx.box);
    const addedMasks = new Set<string>();
    this.addedMasks.set(job.id, addedMasks);
    try {
      const secretOptions = { baseDir: definition.root, cache: this.secretCache(job.run_id) };
      const withheld = secretsWithheld(info.trigger);
      // A step deploying to an environment gets that environment's secrets, and no other step does.
      info.secrets = withheld
        ? {}
        : {
            ...(await resolveWorkflowSecrets(withInheritedSecrets(definition.workflow, info), secretOptions)),
            ...(await environmentSecrets(definition.workflow.steps[task.step], this.options.environments, {
              cache: secretOptions.cache,
            })),
          };
      const evaluated = withinCallDeadline(
        prepareTask(definition.workflow, info, state, task, planner.ancestorsOf(task.step), action?.spec),
        info,
        this.ctx.now(),
      );
      if (withheld) writer.line("stderr", WITHHELD_NOTICE);
      const prepared = await resolveTaskSecrets(
        withheld ? withoutSecretRefs(evaluated) : evaluated,
        secretOptions,
      );
      for (const secret of prepared.secrets) masker.add(secret);
      const actionDir = action ? await this.bundles.folder(action.bundle) : undefined;
      const onLine = (stream: Stream, raw: string) => {
        if (takeAddMask(raw, masker, addedMasks)) return;
        const line = masker.mask(raw);
        writer.line(stream, line);
        this.options.onLine?.({
          runId: job.run_id,
          step: task.step,
          index: task.index,
          attempt: task.attempt,
          stream,
          line,
        });
      };
      if (definition.workflow.steps[task.step]?.steps) {
        const result = await executeJob({
          workflow: definition.workflow,
          info,
          state,
          task,
          ancestors: planner.ancestorsOf(task.step),
          action: async (key) => {
            const inner = definition.actions[key];
            return inner ? { spec: inner.spec, dir: await this.bundles.folder(inner.bundle) } : undefined;
          },
          resolve: async (t) => {
            const resolved = await resolveTaskSecrets(t, secretOptions);
            for (const secret of resolved.secrets) masker.add(secret);
            return resolved;
          },
          runner: this.options.runner,
          runId: job.run_id,
          signal,
          onLine,
          flow: writer,
          workerId: this.id,
          files: jobFilesOf(this.ctx, this.options.files, claimed),
        });
        const { summary, ...outcome } = result;
        for (const secret of Object.values(info.secrets ?? {})) masker.add(secret);
        await this.saveSummary(job, summary, masker);
        // As for a step: what the job's steps knew is masked in its outputs and in each step's record.
        this.knownSecrets.set(job.id, masker.secrets());
        return maskedJobOutcome(outcome, masker);
      }
      const runIn = (workspace?: string) =>
        this.options.runner.run({
          task: prepared,
          runId: job.run_id,
          ...(actionDir ? { actionDir } : {}),
          signal,
          flow: writer,
          workerId: this.id,
          onLine,
          ...(workspace ? { workspace } : {}),
        });
      const files = workspaceActionOf(definition.workflow.steps[task.step]?.uses);
      const result = files
        ? await this.runWithFiles(files, claimed, prepared.inputs, prepared.runner?.type, runIn, (line) =>
            onLine("stdout", line),
          )
        : await runIn();
      const { summary, ...outcome } = result;
      // Every secret of the workflow, not only this step's: a summary is shown beyond the log's readers.
      for (const secret of Object.values(info.secrets ?? {})) masker.add(secret);
      await this.saveSummary(job, summary, masker);
      // Every secret this step knew (resolved references, secret inputs, ::add-mask:: values) is masked
      // in its outputs here; finishTask masks what the run's own record derives from them.
      this.knownSecrets.set(job.id, masker.secrets());
      return {
        ...outcome,
        ...(outcome.outputs ? { outputs: maskDeep(outcome.outputs, masker) } : {}),
        ...(outcome.error ? { error: masker.mask(outcome.error) } : {}),
      };
    } catch (error) {
      return {
        status: "failed",
        exitCode: null,
        error: masker.mask((error as Error).message),
        retryable: !(error instanceof PrepareError),
        finishedAt: this.ctx.now(),
      };
    }
  }

  /**
   * Runs a step of gantry/upload-artifact, download-artifact or cache: in a workspace this worker makes,
   * fills before (download, restore) and reads after (upload, save) through the action's hooks. A step
   * outside a job is its own job, so the cache's end-of-job save comes right after it.
   */
  private async runWithFiles(
    name: WorkspaceActionName,
    claimed: ClaimedTask,
    inputs: Record<string, unknown>,
    runnerType: string | undefined,
    runIn: (workspace: string) => Promise<RunnerResult>,
    log: (line: string) => void,
  ): Promise<RunnerResult> {
    const files = this.options.files;
    if (!files)
      throw new Error(
        `gantry/${name} needs a worker with an object store (the log archive's); this one has none`,
      );
    const type = runnerType ?? "local";
    if (type !== "local" && type !== "docker") {
      throw new Error(
        `gantry/${name} runs on the local and docker runners, not ${type}: its files pass through the worker`,
      );
    }
    const root = await mkdtemp(path.join(files.workspaceRoot ?? os.tmpdir(), "gantry-files-"));
    try {
      const workspace = path.join(root, "work");
      const scratch = path.join(root, "scratch");
      await Promise.all([mkdir(workspace), mkdir(scratch)]);
      // A container's user may not be the worker's: it must be able to write the workspace.
      await chmod(workspace, 0o777);
      const hooks = workspaceHooks(name, {
        db: this.ctx.database.db,
        objects: files.objects,
        now: this.ctx.now,
        limits: { ...DEFAULT_FILES_LIMITS, ...files.limits },
        run: { id: claimed.run.id, workflow: claimed.run.workflow, info: claimed.info },
        step: claimed.job.step,
        inputs,
        log,
        scratch,
      });
      const named = async <T>(work: () => Promise<T>): Promise<T> => {
        try {
          return await work();
        } catch (error) {
          throw new Error(`gantry/${name}: ${(error as Error).message}`);
        }
      };
      const before = await named(() => hooks.before(workspace));
      const result = await runIn(workspace);
      if (result.status !== "succeeded") {
        await named(() => hooks.post(workspace, false));
        return result;
      }
      const after = await named(() => hooks.after(workspace));
      await named(() => hooks.post(workspace, true));
      return { ...result, outputs: { ...result.outputs, ...before, ...after } };
    } finally {
      await rm(root, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /**
   * Stores what the step wrote to $GANTRY_STEP_SUMMARY, masked and bounded, before its result: the run
   * page shows it once the step shows as finished. A store error costs the summary, not the step.
   */
  private async saveSummary(job: Job, text: string | undefined, masker: Masker): Promise<void> {
    const markdown = boundedSummary(text === undefined ? undefined : masker.mask(text));
    if (markdown === undefined) return;
    const key = { run_id: job.run_id, step: job.step, item_index: job.item_index, attempt: job.attempt };
    await insertStepSummary(this.ctx.database.db, key, markdown, this.ctx.now()).catch((error: Error) =>
      this.options.onError?.(new Error(`summary of ${job.step}: ${error.message}`)),
    );
  }

  private async persistently<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        // Past the lease the reaper hands the step to another worker anyway; stop trying then.
        if (attempt >= FINISH_RETRIES) throw error;
        this.options.onError?.(error as Error);
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 100 * 2 ** attempt)));
      }
    }
  }

  /**
   * Starts the jobs the store says this worker holds and that it does not run: claimed or taken by a
   * statement whose answer was lost. Without this, each would wait for its lease to run out and count
   * as a try lost with its worker.
   */
  private async adopt(): Promise<void> {
    this.adoptPending = false;
    try {
      const held = await this.ctx.database.db
        .selectFrom("jobs")
        .selectAll()
        .where("worker_id", "=", this.id)
        .where("status", "=", "running")
        // A job near the end of its lease is left to the reaper, which may be queueing its next try.
        .where("lease_until", ">", this.ctx.now() + this.leaseMs / 2)
        .execute();
      // Checked again after the query: a finish may have taken a job meanwhile.
      if (this.taking > 0) {
        this.adoptPending = true;
        return;
      }
      for (const job of held) if (!this.active.has(job.id)) this.begin(job);
    } catch (error) {
      this.adoptPending = true;
      this.options.onError?.(error as Error);
    }
  }

  /** Puts a task this worker could not finish back in the queue, as the same attempt. */
  private async handBack(claimed: ClaimedTask): Promise<void> {
    await this.ctx.database.db.transaction().execute(async (tx) => {
      const run = await lockRun(tx, this.ctx.database.dialect, claimed.job.run_id);
      if (!run) return;
      const definition = await this.ctx.definitions.at(tx, run.revision);
      const state = runState(run);
      new Planner(definition.workflow, claimed.info).release(state, claimed.task);
      await updateRun(tx, run.id, { state_json: JSON.stringify(state) });
      await tx
        .updateTable("jobs")
        .set({ status: "queued", worker_id: null, lease_until: null, available_at: this.ctx.now() })
        .where("id", "=", claimed.job.id)
        .execute();
    });
    await this.ctx.notifier.notify("jobs");
  }
}
