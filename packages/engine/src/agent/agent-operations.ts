import { Masker, type TaskOutcome } from "@gantry/core";
import type { Selectable } from "kysely";
import { type EnvironmentSecretsSource, environmentSecrets } from "../gates/environment-secrets.js";
import type { LogArchiver } from "../logs/archiver.js";
import { storeQueue } from "../queue/store-queue.js";
import { resolveWorkflowSecrets } from "../run/task-secrets.js";
import { secretsWithheld } from "../run/withheld-secrets.js";
import { createSecretCache, findSecretRefs, resolveSecretRef } from "../secrets/index.js";
import { registerRunMasks } from "../secrets/run-mask-watch.js";
import { openRunMasks } from "../secrets/run-masks.js";
import { ConflictError, type ServiceContext } from "../service/context.js";
import { taskOf } from "../service/finish-plan.js";
import { runInfo } from "../service/run-record.js";
import { decodeRunState } from "../store/decode/index.js";
import {
  type AgentLogLine,
  appendAgentLog,
  deleteAgentLogMarks,
  jobById,
} from "../store/queries/agent-log.js";
import { getBundle } from "../store/queries/bundles.js";
import { getRun } from "../store/queries/get-run.js";
import { insertStepSummary } from "../store/queries/step-summaries.js";
import { upsertWorker } from "../store/queries/upsert-worker.js";
import type { JobsTable } from "../store/tables.js";
import { withInheritedSecrets } from "../subworkflow/secrets.js";
import { boundedSummary } from "../summaries/limits.js";
import type {
  ClaimRequest,
  JobLease,
  StartedTask,
  WorkerQueue,
  WorkerRegistration,
} from "../worker/worker-queue.js";
import { type AgentIdentity, allowedLabels, ownsWorker } from "./agent-identity.js";

/** Refused: the agent asked for what its key does not allow (answered 403). */
export class AgentRefusedError extends Error {
  readonly statusCode = 403;
}

/** The longest lease an agent may take or renew at once: a lost agent's steps come back within it. */
const MAX_LEASE_MS = 10 * 60_000;
/** Jobs one claim may take. */
const MAX_CLAIM = 64;

export interface AgentOperationsOptions {
  /** gantry.yaml `environments:`: a step deploying to one gets its secrets. */
  environments?: EnvironmentSecretsSource;
  /** Moves a finished step's log to the archive, as a store-backed worker does after its result. */
  archiver?: LogArchiver;
  onError?: (error: Error) => void;
}

type JobRow = Selectable<JobsTable>;

/**
 * The queue operations of agents, on the server's side: each one checked against the agent's key (its
 * worker ids, its labels) and the job's lease (held by that worker, not over), then done by the store's
 * queue, as a store-backed worker does. What an agent sends about a run (its task, its definition) is
 * never trusted: the server reads them from the store by the job's id.
 */
export class AgentOperations {
  private readonly queue: WorkerQueue;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: AgentOperationsOptions = {},
  ) {
    this.queue = storeQueue(ctx);
  }

  async register(agent: AgentIdentity, worker: WorkerRegistration, version: string): Promise<void> {
    this.ownWorker(agent, worker.id);
    await upsertWorker(this.ctx.database.db, {
      id: worker.id,
      labels_json: JSON.stringify(allowedLabels(agent, worker.labels)),
      capacity: worker.capacity,
      hostname: worker.hostname,
      started_at: worker.startedAt,
      heartbeat_at: this.ctx.now(),
      kind: "agent",
      version,
    });
  }

  claim(agent: AgentIdentity, request: ClaimRequest): Promise<JobLease[]> {
    this.ownWorker(agent, request.workerId);
    const now = this.ctx.now();
    return this.queue.claim({
      workerId: request.workerId,
      labels: allowedLabels(agent, request.labels),
      now,
      leaseUntil: this.leaseUntil(request.leaseUntil),
      limit: Math.max(0, Math.min(MAX_CLAIM, request.limit)),
    });
  }

  nextDue(): Promise<number | undefined> {
    return this.queue.nextDue(this.ctx.now());
  }

  held(agent: AgentIdentity, workerId: string, leasedBeyond: number): Promise<JobLease[]> {
    this.ownWorker(agent, workerId);
    return this.queue.held(workerId, leasedBeyond);
  }

  async start(agent: AgentIdentity, workerId: string, jobId: number): Promise<StartedTask | undefined> {
    const row = await this.leased(agent, workerId, jobId);
    return this.queue.start(leaseOf(row), workerId);
  }

  async startSubWorkflow(agent: AgentIdentity, workerId: string, jobId: number): Promise<void> {
    const row = await this.leased(agent, workerId, jobId);
    await this.queue.startSubWorkflow(await this.startedOf(row), workerId);
  }

  /**
   * Records a result. A job this worker does not hold any more (reaped, finished already) changes
   * nothing, as a repeated finish of a store-backed worker.
   */
  async finish(
    agent: AgentIdentity,
    workerId: string,
    jobId: number,
    outcome: TaskOutcome,
    options: { secrets?: string[]; masks?: string[]; take?: { labels: string[]; leaseUntil: number } },
  ): Promise<StartedTask | undefined> {
    this.ownWorker(agent, workerId);
    const row = await jobById(this.ctx.database.db, jobId);
    if (!row || row.worker_id !== workerId || row.status !== "running") return undefined;
    const started = await this.startedOf(row);
    const next = await this.queue.finish(started, outcome, {
      workerId,
      ...(options.secrets ? { secrets: options.secrets } : {}),
      ...(options.masks ? { masks: options.masks } : {}),
      ...(options.take
        ? {
            take: {
              labels: allowedLabels(agent, options.take.labels),
              leaseUntil: this.leaseUntil(options.take.leaseUntil),
            },
          }
        : {}),
    });
    void this.archive(row);
    return next;
  }

  /** Hands a started job back as the same attempt: its log so far is archived first. */
  async release(agent: AgentIdentity, workerId: string, jobId: number): Promise<void> {
    const row = await this.leased(agent, workerId, jobId);
    await this.options.archiver
      ?.archiveTask(keyOf(row))
      .catch((error: Error) => this.options.onError?.(error));
    await this.queue.release(await this.startedOf(row));
    await deleteAgentLogMarks(this.ctx.database.db, row.id);
  }

  renew(agent: AgentIdentity, workerId: string, leaseUntil: number, jobIds: number[]): Promise<number[]> {
    this.ownWorker(agent, workerId);
    return this.queue.renew(workerId, this.leaseUntil(leaseUntil), jobIds);
  }

  /** Which of these runs, among those the worker holds jobs of, were asked to cancel. */
  async cancelRequested(agent: AgentIdentity, workerId: string, runIds: string[]): Promise<string[]> {
    this.ownWorker(agent, workerId);
    const held = new Set((await this.queue.held(workerId, 0)).map((job) => job.run_id));
    const asked = runIds.filter((id) => held.has(id));
    return asked.length === 0 ? [] : this.queue.cancelRequested(asked);
  }

  isAlive(agent: AgentIdentity, workerId: string, since: number): Promise<boolean> {
    this.ownWorker(agent, workerId);
    return this.queue.isAlive(workerId, since);
  }

  /**
   * Stores a batch of a leased job's log exactly once (see appendAgentLog), and announces it to followers.
   * `masks`, the values the step registered with `::add-mask::` since its last batch, join the run's
   * masks first, as a store worker's step joins them: the run's steps running elsewhere mask them from
   * their next batch, and these lines are masked with them too.
   */
  async appendLog(
    agent: AgentIdentity,
    workerId: string,
    jobId: number,
    from: number,
    lines: AgentLogLine[],
    masks: readonly string[] = [],
  ): Promise<{ lines: number; gap: boolean }> {
    const row = await this.leased(agent, workerId, jobId);
    const { db } = this.ctx.database;
    if (masks.length > 0) await registerRunMasks(db, this.ctx.box, row.run_id, masks);
    const masker = lines.length > 0 ? await this.runMasker(row.run_id) : undefined;
    const result = await appendAgentLog(
      db,
      { id: row.id, workerId, key: keyOf(row) },
      from,
      masker ? lines.map(([stream, ts, text]) => [stream, ts, masker.mask(text)]) : lines,
      this.ctx.now(),
    );
    if (!result.gap && lines.length > 0) await this.ctx.notifier.notify("logs", row.run_id);
    return result;
  }

  /**
   * The secrets of a leased job's step, resolved here with the server's credentials: the run's
   * `secrets.*` (the workflow's `secrets:` and those of the environment the step deploys to), and the
   * references written in the step itself (`env`, `with`, `runner`, a job's steps), by reference. None
   * for a run that withholds secrets (a fork's).
   */
  async secrets(
    agent: AgentIdentity,
    workerId: string,
    jobId: number,
  ): Promise<{ secrets: Record<string, string>; refs: Record<string, unknown> }> {
    const row = await this.leased(agent, workerId, jobId);
    const started = await this.startedOf(row);
    if (secretsWithheld(started.info.trigger)) return { secrets: {}, refs: {} };
    const { definition, info } = started;
    const cache = createSecretCache(0);
    const providers = this.ctx.secretProviders;
    const step = definition.workflow.steps[row.step];
    const secrets = {
      ...(await resolveWorkflowSecrets(withInheritedSecrets(definition.workflow, info), {
        baseDir: definition.root,
        cache,
        providers,
      })),
      ...(await environmentSecrets(step, this.options.environments, { cache, providers })),
    };
    const refs: Record<string, unknown> = {};
    for (const { ref } of findSecretRefs(step ?? {})) {
      if (ref in refs) continue;
      const value = await resolveSecretRef(ref, { baseDir: definition.root, cache, providers });
      // Bytes do not survive JSON: they go as text, as an environment variable would carry them.
      refs[ref] =
        value instanceof Uint8Array
          ? await resolveSecretRef(ref, { baseDir: definition.root, cache, providers, as: "string" })
          : value;
    }
    return { secrets, refs };
  }

  /** An action bundle, only one that the leased job's workflow uses. */
  async bundle(agent: AgentIdentity, workerId: string, jobId: number, hash: string): Promise<string> {
    const row = await this.leased(agent, workerId, jobId);
    const { definition } = await this.startedOf(row);
    if (!Object.values(definition.actions).some((action) => action.bundle === hash))
      throw new AgentRefusedError(`bundle ${hash} is not used by the workflow of job ${jobId}`);
    const content = await getBundle(this.ctx.database.db, hash);
    if (content === undefined) throw new ConflictError(`action bundle ${hash} is missing from the store`);
    return content;
  }

  /** What the step wrote to $GANTRY_STEP_SUMMARY, bounded as a store-backed worker bounds it. */
  async summary(agent: AgentIdentity, workerId: string, jobId: number, markdown: string): Promise<void> {
    const row = await this.leased(agent, workerId, jobId);
    // Masked again with what the run's other steps registered while this one ran.
    const masker = await this.runMasker(row.run_id);
    const bounded = boundedSummary(masker ? masker.mask(markdown) : markdown);
    if (bounded === undefined) return;
    await insertStepSummary(this.ctx.database.db, keyOf(row), bounded, this.ctx.now());
  }

  private ownWorker(agent: AgentIdentity, workerId: string): void {
    if (!ownsWorker(agent, workerId))
      throw new AgentRefusedError(`worker '${workerId}' is not one of this agent key's workers`);
  }

  /**
   * A masker of the run's `::add-mask::` values as they are now, or none: what the agent's step sends is
   * masked again with it, as a value registered by a step elsewhere after this one started is not in
   * the agent's own masker.
   */
  private async runMasker(runId: string): Promise<Masker | undefined> {
    const run = await this.ctx.database.db
      .selectFrom("runs")
      .select("masked_values")
      .where("id", "=", runId)
      .executeTakeFirst();
    const values = openRunMasks(run?.masked_values, this.ctx.box);
    if (values.length === 0) return undefined;
    const masker = new Masker();
    for (const value of values) masker.add(value);
    return masker;
  }

  /** The job, when this worker holds its lease now; otherwise a 409 (the agent's step must stop). */
  private async leased(agent: AgentIdentity, workerId: string, jobId: number): Promise<JobRow> {
    this.ownWorker(agent, workerId);
    const row = await jobById(this.ctx.database.db, jobId);
    if (
      !row ||
      row.worker_id !== workerId ||
      row.status !== "running" ||
      Number(row.lease_until ?? 0) <= this.ctx.now()
    )
      throw new ConflictError(
        `job ${jobId} is not leased to worker ${workerId} (its lease ended or it finished)`,
      );
    return row;
  }

  private leaseUntil(requested: number): number {
    const now = this.ctx.now();
    return Math.max(now, Math.min(now + MAX_LEASE_MS, requested));
  }

  /** A started task from the store, for the operations that need the run (never from the agent's word). */
  private async startedOf(row: JobRow): Promise<StartedTask> {
    const { db } = this.ctx.database;
    const run = await getRun(db, row.run_id);
    if (!run) throw new ConflictError(`run ${row.run_id} of job ${row.id} does not exist`);
    const definition = await this.ctx.definitions.at(db, run.revision);
    const info = runInfo(run, this.ctx.box);
    return {
      job: leaseOf(row),
      task: taskOf(row),
      run: {
        id: run.id,
        workflow: run.workflow,
        concurrency_group: run.concurrency_group,
        child: info.trigger.type === "workflow_call",
        masks: openRunMasks(run.masked_values, this.ctx.box),
      },
      definition,
      info,
      // getRun read the run with its steps.
      state: decodeRunState(run)!,
    };
  }

  private async archive(row: JobRow): Promise<void> {
    try {
      await this.options.archiver?.archiveTask(keyOf(row));
      await deleteAgentLogMarks(this.ctx.database.db, row.id);
    } catch (error) {
      this.options.onError?.(error as Error);
    }
  }
}

function leaseOf(row: JobRow): JobLease {
  return {
    id: Number(row.id),
    run_id: row.run_id,
    step: row.step,
    item_index: row.item_index,
    attempt: row.attempt,
    available_at: Number(row.available_at),
    lease_until: row.lease_until === null ? null : Number(row.lease_until),
  };
}

function keyOf(row: JobRow) {
  return { run_id: row.run_id, step: row.step, item_index: row.item_index, attempt: row.attempt };
}
