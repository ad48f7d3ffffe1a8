import type { ApprovalSpec, EnvironmentUse } from "../approvals/types.js";
import type { NotifyEntry } from "../notify/types.js";

/** The workflow and action format, as the schema in ../schema describes it, after parsing. */

import type { InputSpec, Shell } from "./input-types.js";
import type { ServiceSpec, StrategySpec } from "./job-types.js";

export * from "./input-types.js";
export type { MatrixSpec, ServiceSpec, StrategySpec } from "./job-types.js";

export const BACKOFFS = ["constant", "exponential"] as const;
export type Backoff = (typeof BACKOFFS)[number];

export interface RetrySpec {
  /** Every try counts, the first included: `attempts: 3` means at most two retries. */
  attempts: number;
  delay?: string | number;
  backoff?: Backoff;
}

/**
 * Tries of a step whose worker was lost (killed, cut off from the database) are an infrastructure
 * failure, not the step's: they are queued again this many times before the step fails. They do not
 * count against `retry.attempts`.
 */
export interface WorkerLostSpec {
  retries: number;
}

export const RUNNER_TYPES = ["local", "docker", "kubernetes", "ssh"] as const;
export type RunnerType = (typeof RUNNER_TYPES)[number];
export const PULL_POLICIES = ["always", "if-missing", "never"] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

/**
 * Where a step runs (`runner:` on a step, in `defaults`, or in an action). `type` and `labels` route the
 * step to a worker; the rest configures the container (docker), the pod (kubernetes) or which inventory
 * nodes the step runs on (ssh). See format/runner.ts.
 */
export interface RunnerSpec {
  type?: RunnerType;
  labels?: string[];
  image?: string;
  pull?: PullPolicy;
  env?: Record<string, string | number | boolean | null>;
  /** `host-path:container-path[:ro]` (docker). */
  volumes?: string[];
  network?: string;
  user?: string | number;
  cpus?: number | string;
  /** Bytes, or `512m`, `1g`, `2Gi`. */
  memory?: number | string;
  /** Registry login, usually secret references. */
  credentials?: { username: string; password: string; server?: string };
  /** Docker-in-Docker: the step gets the container engine (docker), or a dind sidecar (kubernetes). */
  docker?: boolean;
  namespace?: string;
  service_account?: string;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  node_selector?: Record<string, string>;
  tolerations?: Array<Record<string, unknown>>;
  image_pull_secrets?: string[];
  /** ssh: the node selector (see nodes/selector.ts); the step runs once on each node it matches. */
  nodes?: string;
  /** ssh: how many nodes run the step at once (default 1, one after another, as Rundeck dispatches). */
  max_parallel?: number;
  /** ssh: after a node fails, start the remaining nodes anyway (default false: start no more). */
  keep_going?: boolean;
}

export interface StepSpec {
  name?: string;
  /** A node that waits for a person instead of running anything (see approvals/). */
  approval?: ApprovalSpec;
  /** The gantry.yaml environment the step deploys to: its approval, branch rule and secrets. */
  environment?: EnvironmentUse;
  needs?: string | string[];
  uses?: string;
  run?: string;
  shell?: Shell;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  if?: string | boolean;
  retry?: RetrySpec;
  worker_lost?: WorkerLostSpec;
  timeout?: string | number;
  for_each?: string | unknown[];
  continue_on_error?: boolean | string;
  working_directory?: string;
  runner?: RunnerSpec;
  /** Lets `run:` splice outside text (inputs, trigger payloads) into the script; the UI flags such steps. */
  unsafe_interpolation?: boolean;
  /** A sub-workflow's secrets: `inherit`, or child secret name -> this workflow's secret name. */
  secrets?: "inherit" | Record<string, string>;
  /** A job: these steps run in order on one runner in one workspace (instead of `run`/`uses`). */
  steps?: InnerStepSpec[];
  /** A job's outputs for the DAG (`steps.<job>.outputs.<name>`), expressions over its own steps. */
  outputs?: Record<string, string>;
  /** A matrix: the node runs once per combination, with the `matrix` context. */
  strategy?: StrategySpec;
  /** Service containers of a docker job, by the name the job reaches them at. */
  services?: Record<string, ServiceSpec>;
}

/**
 * One step inside a job (`steps:` as a list on a DAG node): run in order with the job's other steps,
 * on one runner, in one workspace, as a GitHub Actions or CircleCI job runs its steps.
 */
export interface InnerStepSpec
  extends Pick<
    StepSpec,
    | "name"
    | "uses"
    | "run"
    | "shell"
    | "with"
    | "env"
    | "if"
    | "continue_on_error"
    | "timeout"
    | "working_directory"
  > {
  /** Names it for `steps.<id>` inside the job; must not repeat a DAG node's id. */
  id?: string;
}

export interface OutputSpec {
  value: unknown;
  description?: string;
}

export interface WorkflowDefaults {
  shell?: Shell;
  timeout?: string | number;
  working_directory?: string;
  retry?: RetrySpec;
  worker_lost?: WorkerLostSpec;
  runner?: RunnerSpec;
}

export interface WorkflowSpec {
  name?: string;
  description?: string;
  inputs?: Record<string, InputSpec>;
  outputs?: Record<string, unknown>;
  env?: Record<string, unknown>;
  secrets?: Record<string, string>;
  defaults?: WorkflowDefaults;
  on?: Record<string, unknown>;
  concurrency?: { group: string; policy?: "queue" | "cancel-running" | "skip" };
  /** Its status badge is served without signing in. */
  public?: boolean;
  /** Who hears about this workflow's runs (besides gantry.yaml's defaults). */
  notify?: NotifyEntry[];
  steps: Record<string, StepSpec>;
}

export const ACTION_LANGUAGES = ["bash", "sh", "python", "node", "exec", "container", "composite"] as const;
export type ActionLanguage = (typeof ACTION_LANGUAGES)[number];

export interface ActionRuns {
  using: ActionLanguage;
  /** A script file inside the action folder. */
  script?: string;
  /** An inline script. */
  run?: string;
  /**
   * For `exec`: the program and its arguments. A program with a slash is relative to the action folder.
   * For `container`: the arguments given to the image (its CMD); without it the image's own CMD runs.
   */
  command?: string | string[];
  /** For `container`: the image to run. */
  image?: string;
  /** For `container`: replaces the image's ENTRYPOINT. */
  entrypoint?: string | string[];
  /** For `composite`: steps run in the job that uses the action, with the action's inputs. */
  steps?: InnerStepSpec[];
}

export interface ActionSpec {
  name?: string;
  description?: string;
  inputs?: Record<string, InputSpec>;
  outputs?: Record<string, { description?: string; value?: string } | null>;
  runs: ActionRuns;
  /** Where the action runs unless the step says otherwise. */
  runner?: RunnerSpec;
}

/** A problem found in a file, with a 1-based position. */
export interface Problem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}
