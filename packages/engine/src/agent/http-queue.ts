import type { TaskOutcome } from "@gantry/core";
import type {
  ClaimRequest,
  FinishRequest,
  JobLease,
  QueueListener,
  StartedTask,
  WorkerQueue,
  WorkerRegistration,
} from "../worker/worker-queue.js";
import type { AgentApi } from "./agent-api.js";
import { ownsWorker } from "./agent-identity.js";
import { AgentWakeUps, type WakeUpMode } from "./wake-ups.js";

export interface HttpWorkerQueueOptions {
  /** The id of the one worker this queue serves (see agentWorkerId): calls that name no worker act as it. */
  workerId: string;
  /** The agent key's id: the workers of other keys are none of this agent's business. */
  keyId: string;
  /** The Gantry version the agent runs, shown on the Workers page. */
  version: string;
  /** auto: a WebSocket, long-poll once WebSockets fail on the way. */
  wakeUps?: WakeUpMode;
  onError?: (error: Error) => void;
  /** Told which way wake-ups come (for the agent's log). */
  onWakeUpMode?: (mode: "websocket" | "long-poll") => void;
}

/**
 * The worker's queue over the server's agent API: every operation is one request, checked by the
 * server against the agent's key and the job's lease, and done there by the store's queue. The
 * worker's loop is the same as a store-backed worker's: retries, lease watch and adoption of jobs
 * whose claim answer was lost all carry over.
 */
export class HttpWorkerQueue implements WorkerQueue {
  constructor(
    private readonly api: AgentApi,
    private readonly options: HttpWorkerQueueOptions,
  ) {}

  async register(worker: WorkerRegistration): Promise<void> {
    await this.api.post("register", { worker, version: this.options.version });
  }

  subscribe(listener: QueueListener): () => void {
    const wakeUps = new AgentWakeUps(
      this.api,
      listener,
      this.options.wakeUps,
      this.options.onError,
      this.options.onWakeUpMode,
    );
    wakeUps.start();
    return () => wakeUps.stop();
  }

  async claim(request: ClaimRequest): Promise<JobLease[]> {
    return (await this.api.post<{ jobs: JobLease[] }>("claim", request)).jobs;
  }

  async nextDue(_now: number): Promise<number | undefined> {
    return (await this.api.post<{ at: number | null }>("next-due", {})).at ?? undefined;
  }

  async held(workerId: string, leasedBeyond: number): Promise<JobLease[]> {
    return (await this.api.post<{ jobs: JobLease[] }>("held", { workerId, leasedBeyond })).jobs;
  }

  async start(job: JobLease, workerId: string): Promise<StartedTask | undefined> {
    const answer = await this.api.post<{ started: StartedTask | null }>(`jobs/${job.id}/start`, { workerId });
    return answer.started ?? undefined;
  }

  async startSubWorkflow(started: StartedTask, workerId: string): Promise<void> {
    await this.api.post(`jobs/${started.job.id}/sub-workflow`, { workerId });
  }

  async finish(
    started: Pick<StartedTask, "job" | "run">,
    outcome: TaskOutcome,
    options: FinishRequest,
  ): Promise<StartedTask | undefined> {
    if (options.workerId === null) throw new Error("an agent finishes jobs only on its own behalf");
    const answer = await this.api.post<{ next: StartedTask | null }>(`jobs/${started.job.id}/finish`, {
      workerId: options.workerId,
      outcome,
      ...(options.secrets ? { secrets: options.secrets } : {}),
      ...(options.masks ? { masks: options.masks } : {}),
      ...(options.take ? { take: options.take } : {}),
    });
    return answer.next ?? undefined;
  }

  async release(started: StartedTask): Promise<void> {
    await this.api.post(`jobs/${started.job.id}/release`, { workerId: this.options.workerId });
  }

  async renew(workerId: string, leaseUntil: number, jobIds: number[]): Promise<number[]> {
    return (await this.api.post<{ renewed: number[] }>("renew", { workerId, leaseUntil, jobIds })).renewed;
  }

  async cancelRequested(runIds: string[]): Promise<string[]> {
    return (
      await this.api.post<{ runIds: string[] }>("cancel-requested", {
        workerId: this.options.workerId,
        runIds,
      })
    ).runIds;
  }

  /**
   * Whether a worker whose containers this agent found is alive. Only its own key's workers are asked
   * about: another's containers on a shared engine are left alone (reported alive).
   */
  async isAlive(workerId: string, since: number): Promise<boolean> {
    if (!ownsWorker({ keyId: this.options.keyId, labels: [] }, workerId)) return true;
    return (await this.api.post<{ alive: boolean }>("alive", { workerId, since })).alive;
  }
}
