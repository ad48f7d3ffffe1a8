import os from "node:os";
import { isSubWorkflowUses, runnerTypeLabel } from "@gantry/core";
import { RECONNECTED } from "../queue/notifier.js";
import type { RunnerLike } from "../runners/types.js";
import type { StepHostLike } from "./step-host.js";
import type { JobLease, SlotOffer, StartedTask, WorkerQueue } from "./worker-queue.js";

/** 100 ms doubling to 5 s: about 30 s of retrying, the default lease. */
const FINISH_RETRIES = 10;
/** How often containers and pods of crashed workers are looked for (and once at start). */
const ORPHAN_SWEEP_MS = 60_000;

export interface WorkerLoopOptions {
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
  /**
   * The runner types this worker offers (`types`, only `local` when it declares none): it claims only
   * jobs of those types. `removeOrphans` cleans up after crashed workers.
   */
  runner: Pick<RunnerLike, "types" | "removeOrphans">;
  onError?: (error: Error) => void;
  /** Called when an attempt ends, for metrics. */
  onFinished?: (seconds: number, status: string) => void;
  /** Called on each claim with how long the job waited after it became ready, for metrics. */
  onClaimed?: (waitedSeconds: number) => void;
  now?: () => number;
}

/**
 * The worker's life, one state at a time; only these moves exist:
 * - `created` → `starting` (start): registering itself; a start that fails goes back to `created`;
 * - `starting` → `running`: claiming jobs up to its concurrency, woken by notifications (polling every
 *   `pollMs` as the fallback), renewing its leases;
 * - `running` → `draining` (stop): claims nothing more; running steps get `graceMs` to finish, then are
 *   handed back;
 * - `draining` → `stopped`; `created` → `stopped` (stop before start: nothing to undo).
 * start() in any state but `created` throws. stop() while starting stops once the start is over, and
 * stop() again returns the first stop's promise.
 */
export type WorkerState = Lifecycle["state"];

type Lifecycle =
  | { state: "created" }
  | { state: "starting"; started: Promise<void>; stopped?: Promise<void> }
  | { state: "running"; loop: Promise<void>; unsubscribe: () => void }
  | { state: "draining"; stopped: Promise<void> }
  | { state: "stopped" };
type Running = Extract<Lifecycle, { state: "running" }>;

interface Active {
  job: JobLease;
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

/**
 * Claims jobs from its queue, runs their steps on its step host, and reports how they ended. Every
 * decision about a run's state is the queue's: this loop holds leases, slots and timers only.
 */
export class Worker {
  readonly id: string;
  /** The operator's labels plus `runner:<type>` for each runner type offered: what claims match. */
  private readonly labels: string[];
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly graceMs: number;
  private readonly queue: WorkerQueue;
  private readonly steps: StepHostLike;
  private readonly now: () => number;
  private life: Lifecycle = { state: "created" };
  private readonly active = new Map<number, Active>();
  private startedAt = 0;
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
  private heartbeat: NodeJS.Timeout | undefined;
  /** A renewal sooner than the next heartbeat, after one failed. */
  private renewRetry: NodeJS.Timeout | undefined;
  private beating = false;
  /**
   * A claim or a finish failed after its statement may have committed (the answer lost with the
   * connection): the queue may hold jobs for this worker that it does not know of. Looked for when
   * nothing that takes jobs is in flight (`taking`), so a job is never started twice here.
   */
  private adoptPending = false;
  private taking = 0;
  /** Slots offered to runs being created in this process (see offer): not free for claims meanwhile. */
  private offered = 0;
  private leaseWatch: NodeJS.Timeout | undefined;
  private orphanSweep: NodeJS.Timeout | undefined;

  constructor(
    ports: { queue: WorkerQueue; steps: StepHostLike },
    private readonly options: WorkerLoopOptions,
  ) {
    this.queue = ports.queue;
    this.steps = ports.steps;
    this.now = options.now ?? Date.now;
    this.id = options.id ?? `${os.hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const types = options.runner.types ?? ["local"];
    this.labels = [...new Set([...(options.labels ?? []), ...types.map(runnerTypeLabel)])];
    this.concurrency = options.concurrency ?? 4;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 5_000;
    this.graceMs = options.graceMs ?? 30_000;
  }

  get state(): WorkerState {
    return this.life.state;
  }

  /** Steps running now (for metrics). */
  get running(): number {
    return this.active.size;
  }

  /** Registers the worker and starts claiming. Runs once: a stopped worker is replaced, not restarted. */
  async start(): Promise<void> {
    if (this.life.state !== "created")
      throw new Error(
        `worker ${this.id} is ${this.life.state}: start() runs once, on a created worker (make a new worker to start again)`,
      );
    const started = this.startUp();
    this.life = { state: "starting", started };
    try {
      await started;
    } catch (error) {
      if (this.life.state === "starting") this.life = { state: "created" };
      throw error;
    }
  }

  private async startUp(): Promise<void> {
    this.startedAt = this.now();
    await this.register();
    const unsubscribe = this.queue.subscribe({
      jobs: (payload) => this.jobsQueued(payload),
      cancel: (runId) => this.cancelRun(runId),
      offer: (fits) => this.offer(fits),
    });
    this.heartbeat = setInterval(() => void this.beat(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.leaseWatch = setInterval(() => this.watchLeases(), Math.max(25, Math.floor(this.leaseMs / 20)));
    if (this.options.runner.removeOrphans) {
      void this.removeOrphans();
      this.orphanSweep = setInterval(() => void this.removeOrphans(), ORPHAN_SWEEP_MS);
      this.orphanSweep.unref();
    }
    // The loop reads the state first: it must be running before the loop starts.
    const running: Running = { state: "running", loop: Promise.resolve(), unsubscribe };
    this.life = running;
    running.loop = this.claimLoop();
  }

  /** Graceful stop (SIGTERM): claim nothing more, let running steps finish within the grace period. */
  stop(): Promise<void> {
    const life = this.life;
    switch (life.state) {
      case "created":
        this.life = { state: "stopped" };
        return Promise.resolve();
      case "starting":
        // Stops once started; a start that fails leaves nothing running.
        life.stopped ??= life.started.then(
          () => this.stop(),
          () => {
            this.life = { state: "stopped" };
          },
        );
        return life.stopped;
      case "running": {
        const stopped = this.drain(life);
        this.life = { state: "draining", stopped };
        return stopped;
      }
      case "draining":
        return life.stopped;
      case "stopped":
        return Promise.resolve();
    }
  }

  private async drain(running: Running): Promise<void> {
    // Synchronous up to here: the caller sets `draining` before the loop wakes and looks.
    this.wakeUp();
    await running.loop;
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
    running.unsubscribe();
    this.life = { state: "stopped" };
  }

  private async register(): Promise<void> {
    await this.queue.register({
      id: this.id,
      labels: this.labels,
      capacity: this.concurrency,
      hostname: os.hostname(),
      startedAt: this.startedAt,
      now: this.now(),
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
        const until = this.now() + this.leaseMs;
        const renewed = new Set(
          await this.queue.renew(
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
      if (runIds.length > 0) for (const id of await this.queue.cancelRequested(runIds)) this.cancelRun(id);
    } catch (error) {
      this.options.onError?.(error as Error);
      // The database is away: try again every second (within the lease), so that the lease is renewed as
      // soon as it is back, not a third of a lease later.
      if (this.life.state === "running" || this.active.size > 0)
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
    const now = this.now();
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
      const since = this.now() - 3 * this.leaseMs;
      return (
        (await this.options.runner.removeOrphans?.(
          async (workerId) => workerId === this.id || (await this.queue.isAlive(workerId, since)),
        )) ?? 0
      );
    } catch (error) {
      this.options.onError?.(new Error(`removing orphaned containers: ${(error as Error).message}`));
      return 0;
    }
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
   * A "jobs" wake-up: its payload, when set, is when a delayed job becomes due (epoch ms), or
   * RECONNECTED when wake-ups may have been lost.
   */
  private jobsQueued(payload: string): void {
    if (payload === RECONNECTED) this.askNextDue = true;
    const due = payload === "" ? Number.NaN : Number(payload);
    if (Number.isFinite(due)) this.nextDue = Math.min(this.nextDue, due);
    this.wakeUp();
  }

  /** Slots that neither a running step nor an offer holds. */
  private get free(): number {
    return this.concurrency - this.active.size - this.offered;
  }

  /**
   * Reserves a slot for the first task of a run this process is creating (see SlotOffer). It counts as
   * taking: jobs this worker holds are not adopted meanwhile, as the task may be committed as held by
   * this worker before it is handed over.
   */
  private offer(fits: (labels: string[]) => boolean): SlotOffer | undefined {
    if (this.life.state !== "running" || this.free <= 0 || !fits(this.labels)) return undefined;
    this.offered++;
    this.taking++;
    let settled = false;
    const settle = () => {
      if (settled) throw new Error(`worker ${this.id}: a slot offer was settled twice`);
      settled = true;
      this.offered--;
      this.taking--;
    };
    return {
      workerId: this.id,
      labels: this.labels,
      leaseUntil: this.now() + this.leaseMs,
      accept: (started) => {
        settle();
        // Stopping began meanwhile: the task goes back to the queue for another worker.
        if (this.life.state !== "running") {
          void this.queue.release(started).catch((error: Error) => this.options.onError?.(error));
          return;
        }
        this.options.onClaimed?.(0);
        this.begin(started.job, started);
      },
      decline: (uncertain = false) => {
        settle();
        if (uncertain) this.adoptPending = true;
        // The offer may have held the last free slot while the loop looked: it sleeps as if full.
        if (uncertain || this.free === 1) this.wakeUp();
      },
    };
  }

  private async claimLoop(): Promise<void> {
    while (this.life.state === "running") {
      this.woken = false;
      let filled = false;
      let sleepMs = this.free > 0 ? this.pollMs : 60_000;
      if (this.adoptPending && this.taking === 0) await this.adopt();
      if (this.free > 0) {
        try {
          const now = this.now();
          // Every free slot at once: fewer jobs than asked means the queue is empty for now, with no
          // second claim to find that out.
          const free = this.free;
          const jobs = await this.queue
            .claim({
              workerId: this.id,
              labels: this.labels,
              now,
              leaseUntil: now + this.leaseMs,
              limit: free,
            })
            .catch((error: Error) => {
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
              const next = await this.queue.nextDue(now);
              if (next !== undefined) this.nextDue = Math.min(this.nextDue, next);
            }
            if (this.nextDue !== Number.POSITIVE_INFINITY)
              sleepMs = Math.min(sleepMs, Math.max(0, this.nextDue - this.now()));
          }
        } catch (error) {
          this.options.onError?.(error as Error);
        }
      }
      if (!filled && this.life.state === "running") await this.sleep(sleepMs);
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

  /** Runs a claimed job; `started` when it was started already (taken with its predecessor's finish). */
  private begin(job: JobLease, started?: StartedTask): void {
    const abort = new AbortController();
    const active: Active = {
      job,
      abort,
      handedBack: false,
      cleanup: false,
      done: Promise.resolve(),
      leaseUntil: job.lease_until ?? this.now() + this.leaseMs,
      settled: false,
    };
    active.done = this.execute(active, started)
      .catch((error: Error) => this.options.onError?.(error))
      .finally(() => {
        this.active.delete(job.id);
        // A slot opened in a full worker: its loop stopped claiming, so wake it. A worker with slots to
        // spare found the queue empty at its last claim and is woken by the next notification: claiming
        // after every step would cost a statement each (measured: 4 claims per two-step run, now 2).
        if (this.free === 1 || this.life.state !== "running") this.wakeUp();
      });
    this.active.set(job.id, active);
  }

  private async execute(active: Active, taken?: StartedTask): Promise<void> {
    const started = taken ?? (await this.persistently(() => this.queue.start(active.job, this.id)));
    if (!started) return;
    // A sub-workflow step starts its child run and gives its slot back at once: the child's end finishes it.
    if (isSubWorkflowUses(started.definition.workflow.steps[started.task.step]?.uses)) {
      await this.queue.startSubWorkflow(started, this.id);
      return;
    }
    if (started.state.cancelRequested) {
      // Only clean-up steps (`if: always()` or `cancelled()`) are started after a cancel. The cancel's
      // notification, or the heartbeat's cancel check, must not stop them as well.
      active.cleanup = true;
      if (active.abort.signal.aborted && !active.handedBack) active.abort = new AbortController();
    }
    const { outcome, secrets, masks, archive } = await this.steps.run(started, active.abort.signal, this.id);
    active.settled = true;
    if (active.handedBack) {
      // The same attempt runs again elsewhere: its chunks so far are archived first.
      await archive();
      return this.queue.release(started);
    }
    if (active.lost !== undefined) {
      // The step was stopped because its lease could not be kept: the try was lost with this worker's
      // database connection, not failed by the step. Reported as such once the database is back (the
      // reaper does the same after the lease, and whichever comes first counts; the other is fenced off).
      await archive();
      const lost = { status: "failed" as const, exitCode: null, error: active.lost, workerLost: true };
      await this.persistently(() => this.queue.finish(started, lost, { workerId: this.id, masks }));
      return;
    }
    if (outcome.startedAt !== undefined && outcome.finishedAt !== undefined) {
      this.options.onFinished?.((outcome.finishedAt - outcome.startedAt) / 1000, outcome.status);
    }
    // The result must not be lost to a dropped connection: retry until the queue takes it (a finish is
    // safe to repeat: a second call finds its job gone and does nothing).
    // While running, this worker takes a successor that became ready itself (see FinishRequest.take).
    this.taking++;
    const next = await this.persistently(() =>
      this.queue
        .finish(started, outcome, {
          workerId: this.id,
          secrets,
          masks,
          ...(this.life.state === "running"
            ? { take: { labels: this.labels, leaseUntil: this.now() + this.leaseMs } }
            : {}),
        })
        .catch((error: Error) => {
          // Committed with its answer lost, maybe, and a successor taken with it.
          this.adoptPending = true;
          throw error;
        }),
    ).finally(() => this.taking--);
    if (next) {
      // Stopping began meanwhile: the successor goes back to the queue for another worker.
      if (this.life.state !== "running") await this.queue.release(next);
      else {
        this.options.onClaimed?.(0);
        this.begin(next.job, next);
      }
    }
    // After the result is stored and the successor started: the archive is off the run's critical
    // path (about 2 ms a step that printed, measured in bench/: api-light), and until it is done the
    // chunks serve the log.
    await archive();
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
   * Starts the jobs the queue says this worker holds and that it does not run: claimed or taken by a
   * call whose answer was lost. Without this, each would wait for its lease to run out and count as a
   * try lost with its worker.
   */
  private async adopt(): Promise<void> {
    this.adoptPending = false;
    try {
      const held = await this.queue.held(this.id, this.now() + this.leaseMs / 2);
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
}
