import type { RunInfo, RunState, Task, TaskOutcome } from "@gantry/core";
import type { WorkflowDefinition } from "../service/workflow-definition.js";

/**
 * What a worker needs of the queue, as plain data in and out: the store implements it for workers
 * that reach the database (queue/store-queue.ts), and a worker that reaches only the server's API can
 * implement it over HTTP. The worker's loop holds no SQL and never re-plans a run itself; every
 * decision about a run's state is taken behind these calls.
 */
export interface WorkerQueue {
  /** Announces the worker, and, repeated with each heartbeat, that it is still alive. */
  register(worker: WorkerRegistration): Promise<void>;
  /** Wake-ups: jobs queued (idle workers claim), runs cancelled (running steps stop). Returns the unsubscribe. */
  subscribe(listener: QueueListener): () => void;
  /** Leases up to `limit` queued jobs that are due and whose labels the worker has, until `leaseUntil`. */
  claim(request: ClaimRequest): Promise<JobLease[]>;
  /** When the soonest job that is queued but not due yet (a retry waiting out its delay) becomes due. */
  nextDue(now: number): Promise<number | undefined>;
  /**
   * The jobs the queue says this worker holds with a lease beyond `leasedBeyond`: claimed or taken by
   * a call whose answer was lost, so the worker does not know it runs them.
   */
  held(workerId: string, leasedBeyond: number): Promise<JobLease[]>;
  /**
   * Marks a leased job's task as started in its run. Undefined when it must not run (its run was
   * cancelled or the task is stale): the job is dropped. Safe to repeat after a lost answer.
   */
  start(job: JobLease, workerId: string): Promise<StartedTask | undefined>;
  /**
   * Starts the child run of a sub-workflow step and parks the step until the child ends; the worker's
   * slot is free at once. A child that cannot start fails the step.
   */
  startSubWorkflow(started: StartedTask, workerId: string): Promise<void>;
  /**
   * Records how a task ended and queues what became ready. With `take`, a successor this worker may run
   * now comes back already started (no claim between two steps). Safe to repeat: a second call finds
   * the job gone and changes nothing.
   */
  finish(
    started: Pick<StartedTask, "job" | "run">,
    outcome: TaskOutcome,
    options: FinishRequest,
  ): Promise<StartedTask | undefined>;
  /** Hands a started task back to the queue as the same attempt (a graceful stop ran out of time). */
  release(started: StartedTask): Promise<void>;
  /** Extends the leases of these jobs of the worker; returns the ids renewed (the others are not its own any more). */
  renew(workerId: string, leaseUntil: number, jobIds: number[]): Promise<number[]>;
  /** Which of these runs were asked to cancel: the fallback for a cancel notification that was lost. */
  cancelRequested(runIds: string[]): Promise<string[]>;
  /** Whether the worker has heartbeated since `since`: containers and pods of dead workers are orphans. */
  isAlive(workerId: string, since: number): Promise<boolean>;
}

export interface WorkerRegistration {
  id: string;
  /** The operator's labels plus `runner:<type>` for each runner type offered. */
  labels: string[];
  capacity: number;
  hostname: string;
  startedAt: number;
  now: number;
}

export interface QueueListener {
  /**
   * Jobs were queued. `payload` is empty, or when a delayed job becomes due (epoch ms), or RECONNECTED
   * (queue/notifier.ts) when wake-ups may have been lost meanwhile.
   */
  jobs(payload: string): void;
  cancel(runId: string): void;
  /**
   * A free slot for the first task of a run this process is creating, reserved when the worker is
   * running, has a slot that neither a step nor another offer holds, and has the labels `fits` asks
   * for. Undefined otherwise: the run's tasks are then only queued.
   */
  offer?(fits: (labels: string[]) => boolean): SlotOffer | undefined;
}

/**
 * A worker's slot reserved for a task that comes to it already leased and started, written in the
 * same unit of work as its run (no claim and no start transaction after it). Exactly one of `accept`
 * and `decline` is called, once the outcome is known (after the commit).
 */
export interface SlotOffer {
  workerId: string;
  labels: string[];
  /** The lease a task taken into the slot is written with. */
  leaseUntil: number;
  /** The task taken into the slot, committed as leased to this worker and started: the worker runs it. */
  accept(started: StartedTask): void;
  /**
   * Nothing was taken: the slot is free again. `uncertain` when the write failed in a way that may
   * have committed it (the answer lost with the connection): the worker then looks for jobs it holds.
   */
  decline(uncertain?: boolean): void;
}

export interface ClaimRequest {
  workerId: string;
  labels: string[];
  now: number;
  leaseUntil: number;
  limit: number;
}

/** A queued job: one attempt of one task of a run. Leased to a worker once claimed. */
export interface JobLease {
  id: number;
  run_id: string;
  step: string;
  item_index: number;
  attempt: number;
  /** When it became due (epoch ms): how long it waited is the claim latency. */
  available_at: number;
  /** Until when the worker holding it may run it; it renews it with each heartbeat. */
  lease_until: number | null;
}

/** What the worker needs of a run besides its task. */
export interface RunRef {
  id: string;
  workflow: string;
  concurrency_group: string | null;
  /** A sub-workflow's run: its end finishes the parent's waiting step. */
  child: boolean;
  /** Values earlier steps of the run registered with `::add-mask::`: this step masks them too. */
  masks: string[];
}

/** A job whose task was marked started in its run: everything needed to run its step. */
export interface StartedTask {
  job: JobLease;
  task: Task;
  run: RunRef;
  definition: WorkflowDefinition;
  info: RunInfo;
  state: RunState;
}

export interface FinishRequest {
  /** The finishing worker; null for a finish on no worker's behalf. */
  workerId: string | null;
  /** Secrets the step knew (resolved references, secret inputs, ::add-mask::): the run's record is masked with them. */
  secrets?: string[];
  /** Values the step registered with `::add-mask::`: kept (sealed) with the run for its later steps. */
  masks?: string[];
  /** Set when the worker can run one more step now: a ready successor it may run comes back started. */
  take?: { labels: string[]; leaseUntil: number };
}
