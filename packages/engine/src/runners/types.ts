import type { PreparedTask, RunnerType, ServiceSpec } from "@gantry/core";

export type Stream = "stdout" | "stderr";

/** Where a task runs and what the runner needs besides the prepared task. */
export interface RunnerTask {
  task: PreparedTask;
  runId: string;
  /** The folder that holds the action's files, for `uses:` steps. */
  actionDir?: string;
  /** Called for each complete line a step prints, without its newline. */
  onLine: (stream: Stream, line: string) => void;
  signal: AbortSignal;
  /** Back-pressure: while `full`, the runner stops reading the step's output until `waitForRoom`. */
  flow?: { readonly full: boolean; waitForRoom(): Promise<void> };
  /** The worker running it: containers and pods are labelled with it, for clean-up after a crash. */
  workerId?: string;
  /**
   * A host folder to run in as the working folder, made and removed by the caller (the runner neither
   * makes nor removes it): for steps whose files the worker moves in before or out after (artifacts,
   * caches), and for the steps of a job that share one folder. Absent: a fresh folder per step.
   */
  workspace?: string;
}

/** What a runner needs to set a job up: where it runs, and its service containers. */
export interface JobStart {
  /** The job as a task: its runner (image, env, …) and name; its steps come through the session. */
  task: PreparedTask;
  runId: string;
  services: Record<string, ServiceSpec>;
  signal: AbortSignal;
  /** For what setting up prints (pulling an image, waiting for a service). */
  onLine: (stream: Stream, line: string) => void;
  workerId?: string;
}

/** A job's place: one workspace (and one container) for all its steps, until `close`. */
export interface JobSession {
  run(task: RunnerTask): Promise<RunnerResult>;
  /**
   * The job's workspace as a folder of the worker's machine, when it is one (local, docker): the worker
   * moves the files of artifacts and caches in and out of it between steps. Absent where the workspace
   * lives elsewhere (a pod, a remote machine).
   */
  readonly workspace?: string;
  close(): Promise<void>;
}

export interface RunnerResult {
  status: "succeeded" | "failed" | "timed_out" | "cancelled";
  exitCode: number | null;
  outputs: Record<string, unknown>;
  error?: string;
  startedAt: number;
  finishedAt: number;
  /**
   * What the step appended to $GANTRY_STEP_SUMMARY (Markdown), read up to one byte past
   * SUMMARY_LIMIT_BYTES; absent when it wrote nothing. Not masked yet: the worker masks and bounds it.
   */
  summary?: string;
}

/** A place where steps run: the local machine, a container engine, a Kubernetes cluster. */
export interface RunnerLike {
  run(task: RunnerTask): Promise<RunnerResult>;
  /** Sets up a job (a node with `steps:`): its steps then run in one workspace, one container. */
  openJob?(job: JobStart): Promise<JobSession>;
  /** The runner types it can run (`runner.type`); a worker offers these. Absent: only `local`. */
  readonly types?: readonly RunnerType[];
  /**
   * Removes containers or pods whose worker is gone (crashed without cleaning up), given a check of
   * whether a worker id is still alive. Returns how many it removed.
   */
  removeOrphans?(isAlive: (workerId: string) => Promise<boolean>): Promise<number>;
}
