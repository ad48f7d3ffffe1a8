import os from "node:os";
import path from "node:path";
import type { RunnerLike, Stream } from "../runners/types.js";
import { Worker, type WorkerLoopOptions } from "../worker/worker.js";
import { AgentApi } from "./agent-api.js";
import { agentWorkerId } from "./agent-identity.js";
import { removeStaleSpool } from "./agent-log-stream.js";
import { AgentStepHost } from "./agent-step-host.js";
import { HttpWorkerQueue } from "./http-queue.js";
import type { WakeUpMode } from "./wake-ups.js";

export interface AgentOptions extends Omit<WorkerLoopOptions, "runner" | "id" | "now"> {
  server: string;
  token: string;
  runner: RunnerLike;
  dataDir: string;
  version: string;
  wakeUps?: WakeUpMode;
  onWakeUpMode?: (mode: "websocket" | "long-poll") => void;
  onLine?: (line: { runId: string; step: string; stream: Stream; line: string }) => void;
}

/** What the server says of an agent key: its id (the prefix of its workers' ids) and its labels. */
export interface AgentWhoAmI {
  key_id: string;
  name: string;
  labels: string[];
}

/**
 * A worker that reaches only the server's API (`gantry agent`): asks the server who its key is, then
 * runs the worker's loop over the HTTP queue with steps on this machine. Its labels are the ones asked
 * for, or, when none are, the key's.
 */
export async function createAgent(options: AgentOptions): Promise<{ worker: Worker; whoami: AgentWhoAmI }> {
  const api = new AgentApi({ server: options.server, token: options.token });
  const whoami = await api.get<AgentWhoAmI>("whoami");
  const id = agentWorkerId(whoami.key_id, os.hostname(), process.pid);
  const queue = new HttpWorkerQueue(api, {
    workerId: id,
    keyId: whoami.key_id,
    version: options.version,
    ...(options.wakeUps ? { wakeUps: options.wakeUps } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.onWakeUpMode ? { onWakeUpMode: options.onWakeUpMode } : {}),
  });
  const stale = await removeStaleSpool(path.join(options.dataDir, "spool", "logs"));
  if (stale > 0)
    options.onError?.(new Error(`removed ${stale} log spool file(s) of jobs whose lease ended long ago`));
  const leaseMs = options.leaseMs ?? 30_000;
  const steps = new AgentStepHost({
    api,
    runner: options.runner,
    dataDir: options.dataDir,
    // Past the lease the job is another worker's anyway: its log waits no longer.
    logDeadlineMs: leaseMs,
    ...(options.onLine ? { onLine: options.onLine } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const worker = new Worker(
    { queue, steps },
    { ...options, id, labels: options.labels?.length ? options.labels : whoami.labels },
  );
  return { worker, whoami };
}
