import type { TaskOutcome } from "@gantry/core";
import type { StepHostLike, StepRun } from "../worker/step-host.js";
import type {
  ClaimRequest,
  FinishRequest,
  JobLease,
  QueueListener,
  SlotOffer,
  StartedTask,
  WorkerQueue,
  WorkerRegistration,
} from "../worker/worker-queue.js";

interface FakeJob {
  lease: JobLease;
  labels: string[];
  status: "queued" | "running" | "done";
  workerId: string | null;
  /** A sub-workflow step: started as a child run, not on the step host. */
  subWorkflow: boolean;
}

/**
 * An in-memory WorkerQueue for testing the worker's loop without a database. Each job is one step of
 * its own run; `then` names a step whose job a finish queues next (and hands over when asked to take).
 * Every call is counted in `calls`; `fail` makes the next calls of a method throw.
 */
export class FakeWorkerQueue implements WorkerQueue {
  readonly jobs: FakeJob[] = [];
  readonly calls = new Map<string, number>();
  readonly finished: Array<{ id: number; outcome: TaskOutcome; request: FinishRequest }> = [];
  readonly released: number[] = [];
  readonly registrations: WorkerRegistration[] = [];
  readonly subWorkflows: number[] = [];
  readonly cancelled = new Set<string>();
  /** Heartbeats of other workers, for the orphan check. */
  readonly heartbeats = new Map<string, number>();
  /** Each finished step's successor: queued by its finish, or taken when the worker asks to take. */
  readonly successors = new Map<string, string>();
  /** Ids a renewal leaves out, as if the reaper had taken them. */
  readonly reaped = new Set<number>();
  private readonly failures = new Map<string, { error: Error; times: number }>();
  private readonly lostAnswers = new Set<string>();
  private readonly listeners: QueueListener[] = [];
  private nextId = 1;

  add(
    step: string,
    options: { labels?: string[]; availableAt?: number; subWorkflow?: boolean } = {},
  ): JobLease {
    const lease: JobLease = {
      id: this.nextId++,
      run_id: `run-${step}`,
      step,
      item_index: 0,
      attempt: 1,
      available_at: options.availableAt ?? 0,
      lease_until: null,
    };
    this.jobs.push({
      lease,
      labels: options.labels ?? ["runner:local"],
      status: "queued",
      workerId: null,
      subWorkflow: options.subWorkflow ?? false,
    });
    return lease;
  }

  /**
   * A slot for a run's first task, reserved on the first listener that offers one for `labels` (as
   * queue/local-workers.ts asks the workers of a process).
   */
  offer(labels: string[] = ["runner:local"]): SlotOffer | undefined {
    for (const l of this.listeners) {
      const offer = l.offer?.((have) => labels.every((label) => have.includes(label)));
      if (offer) return offer;
    }
    return undefined;
  }

  /** A first task written as leased to the offer's worker, as create-run's insert does it, started. */
  write(offer: SlotOffer, step: string, options: { labels?: string[] } = {}): StartedTask {
    const lease = this.add(step, options);
    const job = this.jobs.find((j) => j.lease.id === lease.id) as FakeJob;
    this.lease(job, offer.workerId, offer.leaseUntil);
    return this.started(job);
  }

  /**
   * A run created in this process whose first task is `step`, as create-run writes it: leased to a
   * worker with a free slot and handed to it started, or else queued with a wake-up.
   */
  create(step: string, options: { labels?: string[] } = {}): "handed" | "queued" {
    const offer = this.offer(options.labels);
    if (!offer) {
      this.add(step, options);
      this.wake();
      return "queued";
    }
    offer.accept(this.write(offer, step, options));
    return "handed";
  }

  /** The next `times` calls of `method` throw `error` (a database that went away). */
  fail(method: keyof WorkerQueue, error: Error, times = 1): void {
    this.failures.set(method, { error, times });
  }

  /** The next claim or finish takes effect, but its answer is lost (the connection dropped after the commit). */
  loseAnswer(method: "claim" | "finish"): void {
    this.lostAnswers.add(method);
  }

  private answer<T>(method: "claim" | "finish", value: T): T {
    if (this.lostAnswers.delete(method)) throw new Error(`the answer to ${method} was lost`);
    return value;
  }

  /** A "jobs" wake-up, as the notifier delivers it. */
  wake(payload = ""): void {
    for (const l of this.listeners) l.jobs(payload);
  }

  /** A run's cancel, as the notifier delivers it; `quietly` only marks it, for the heartbeat to find. */
  cancel(runId: string, quietly = false): void {
    this.cancelled.add(runId);
    if (!quietly) for (const l of this.listeners) l.cancel(runId);
  }

  count(method: keyof WorkerQueue): number {
    return this.calls.get(method) ?? 0;
  }

  status(step: string): FakeJob["status"] | undefined {
    return this.jobs.find((j) => j.lease.step === step)?.status;
  }

  get listening(): number {
    return this.listeners.length;
  }

  private call(method: keyof WorkerQueue): void {
    this.calls.set(method, this.count(method) + 1);
    const failure = this.failures.get(method);
    if (failure && failure.times > 0) {
      failure.times--;
      throw failure.error;
    }
  }

  async register(worker: WorkerRegistration): Promise<void> {
    this.call("register");
    this.registrations.push(worker);
    this.heartbeats.set(worker.id, worker.now);
  }

  subscribe(listener: QueueListener): () => void {
    this.call("subscribe");
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  async claim(request: ClaimRequest): Promise<JobLease[]> {
    this.call("claim");
    const due = this.jobs.filter(
      (j) =>
        j.status === "queued" &&
        j.lease.available_at <= request.now &&
        j.labels.every((l) => request.labels.includes(l)),
    );
    return this.answer(
      "claim",
      due.slice(0, request.limit).map((j) => this.lease(j, request.workerId, request.leaseUntil)),
    );
  }

  async nextDue(now: number): Promise<number | undefined> {
    this.call("nextDue");
    const later = this.jobs
      .filter((j) => j.status === "queued" && j.lease.available_at > now)
      .map((j) => j.lease.available_at);
    return later.length > 0 ? Math.min(...later) : undefined;
  }

  async held(workerId: string, leasedBeyond: number): Promise<JobLease[]> {
    this.call("held");
    return this.jobs
      .filter(
        (j) => j.status === "running" && j.workerId === workerId && (j.lease.lease_until ?? 0) > leasedBeyond,
      )
      .map((j) => j.lease);
  }

  async start(job: JobLease): Promise<StartedTask | undefined> {
    this.call("start");
    const held = this.jobs.find((j) => j.lease.id === job.id);
    return held?.status === "running" ? this.started(held) : undefined;
  }

  async startSubWorkflow(started: StartedTask): Promise<void> {
    this.call("startSubWorkflow");
    this.subWorkflows.push(started.job.id);
  }

  async finish(
    started: Pick<StartedTask, "job" | "run">,
    outcome: TaskOutcome,
    request: FinishRequest,
  ): Promise<StartedTask | undefined> {
    this.call("finish");
    const job = this.jobs.find((j) => j.lease.id === started.job.id);
    if (job?.status !== "running") return undefined;
    job.status = "done";
    this.finished.push({ id: job.lease.id, outcome, request });
    const successor = this.successors.get(job.lease.step);
    if (successor === undefined) return this.answer("finish", undefined);
    const next = this.add(successor);
    const queued = this.jobs.find((j) => j.lease.id === next.id) as FakeJob;
    if (request.take && request.workerId !== null) {
      this.lease(queued, request.workerId, request.take.leaseUntil);
      return this.answer("finish", this.started(queued));
    }
    this.wake();
    return this.answer("finish", undefined);
  }

  async release(started: StartedTask): Promise<void> {
    this.call("release");
    const job = this.jobs.find((j) => j.lease.id === started.job.id);
    if (job) {
      job.status = "queued";
      job.workerId = null;
      job.lease.lease_until = null;
    }
    this.released.push(started.job.id);
  }

  async renew(workerId: string, leaseUntil: number, jobIds: number[]): Promise<number[]> {
    this.call("renew");
    const renewed = this.jobs.filter(
      (j) =>
        jobIds.includes(j.lease.id) &&
        j.workerId === workerId &&
        j.status === "running" &&
        !this.reaped.has(j.lease.id),
    );
    for (const j of renewed) j.lease.lease_until = leaseUntil;
    return renewed.map((j) => j.lease.id);
  }

  async cancelRequested(runIds: string[]): Promise<string[]> {
    this.call("cancelRequested");
    return runIds.filter((id) => this.cancelled.has(id));
  }

  async isAlive(workerId: string, since: number): Promise<boolean> {
    this.call("isAlive");
    const at = this.heartbeats.get(workerId);
    return at !== undefined && at >= since;
  }

  private lease(job: FakeJob, workerId: string, leaseUntil: number): JobLease {
    job.status = "running";
    job.workerId = workerId;
    job.lease.lease_until = leaseUntil;
    return { ...job.lease };
  }

  private started(job: FakeJob): StartedTask {
    const { lease } = job;
    const uses = job.subWorkflow ? `workflow:${lease.step}` : undefined;
    return {
      job: { ...lease },
      task: { step: lease.step, index: lease.item_index, attempt: lease.attempt, delayMs: 0 },
      run: { id: lease.run_id, workflow: "fake", concurrency_group: null, child: false, masks: [] },
      definition: {
        name: "fake",
        root: "/",
        workflow: { name: "fake", steps: { [lease.step]: uses ? { uses } : { run: "true" } } },
        actions: {},
      },
      info: { id: lease.run_id, workflow: "fake", attempt: 1, trigger: { type: "manual" }, inputs: {} },
      state: { status: "running", cancelRequested: this.cancelled.has(lease.run_id), steps: {}, outputs: {} },
    };
  }
}

/**
 * A step host whose steps run until the test ends them: `end(step)` finishes a step with an outcome; a
 * step whose signal aborts ends as cancelled. `started` lists the steps in the order they began.
 */
export class FakeSteps implements StepHostLike {
  readonly started: string[] = [];
  readonly signals = new Map<string, AbortSignal>();
  readonly archived: string[] = [];
  private readonly ends = new Map<string, (outcome: TaskOutcome) => void>();

  run(started: StartedTask, signal: AbortSignal): Promise<StepRun> {
    const step = started.job.step;
    this.started.push(step);
    this.signals.set(step, signal);
    return new Promise((resolve) => {
      const end = (outcome: TaskOutcome) => {
        this.ends.delete(step);
        resolve({
          outcome,
          secrets: ["s3cret"],
          masks: [],
          archive: async () => {
            this.archived.push(step);
          },
        });
      };
      this.ends.set(step, end);
      signal.addEventListener(
        "abort",
        () => end({ status: "cancelled", exitCode: null, error: "cancelled" }),
        {
          once: true,
        },
      );
    });
  }

  running(step: string): boolean {
    return this.ends.has(step);
  }

  end(
    step: string,
    outcome: TaskOutcome = { status: "succeeded", exitCode: 0, startedAt: 1, finishedAt: 2 },
  ): void {
    const end = this.ends.get(step);
    if (!end) throw new Error(`step ${step} is not running`);
    end(outcome);
  }
}
