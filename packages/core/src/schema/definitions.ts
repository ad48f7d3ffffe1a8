import { approvalSchema, environmentUseSchema } from "../approvals/schema.js";
import { DURATION_PATTERN } from "../format/duration.js";
import {
  ACTION_LANGUAGES,
  BACKOFFS,
  INPUT_TYPES,
  PULL_POLICIES,
  RUNNER_TYPES,
  SHELLS,
} from "../format/types.js";

/** Names of steps, inputs and outputs: they are used in expressions and environment variable names. */
export const IDENTIFIER_PATTERN = "^[A-Za-z_][A-Za-z0-9_-]*$";

export const duration = {
  description: "A number of seconds, or a duration like 500ms, 30s, 10m, 1h30m, 1d",
  anyOf: [
    { type: "number", minimum: 0 },
    { type: "string", pattern: DURATION_PATTERN },
  ],
} as const;

const expressionOrBoolean = {
  type: ["boolean", "string"],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the text shows users the expression syntax.
  description: "true/false, or an expression such as ${{ inputs.dry_run }}",
} as const;

export const inputSpec = {
  type: "object",
  additionalProperties: false,
  required: ["type"],
  properties: {
    type: { enum: [...INPUT_TYPES], description: "The input's type; `secret` is masked and never stored" },
    description: { type: "string" },
    title: { type: "string" },
    default: {},
    required: { type: "boolean" },
    enum: { type: "array", minItems: 1 },
    minimum: { type: "number" },
    maximum: { type: "number" },
    pattern: { type: "string" },
    items: { type: "object" },
    options_from: {
      type: "object",
      additionalProperties: false,
      description:
        "choice: values computed when the form is filled in, from a script (run), a workflow's `options` output, or an HTTP GET",
      properties: {
        run: {
          type: "string",
          description: "A script printing a JSON list; inputs reach it as INPUT_<NAME>",
        },
        shell: { enum: [...SHELLS] },
        depends_on: { type: "array", items: { type: "string" }, description: "run: the inputs it reads" },
        workflow: { type: "string", description: "A workflow of the same source; its output `options`" },
        with: { type: "object", description: "workflow: its inputs" },
        http: { type: "string", description: "A URL to GET" },
        path: { type: "string", description: "Where the list is in the JSON, e.g. $.items[*].name" },
        cache: duration,
      },
    },
  },
} as const;

export const inputs = {
  type: "object",
  propertyNames: { pattern: IDENTIFIER_PATTERN },
  additionalProperties: { $ref: "#/definitions/input" },
} as const;

export const retry = {
  type: "object",
  additionalProperties: false,
  required: ["attempts"],
  properties: {
    attempts: { type: "integer", minimum: 1, description: "Every try counts, the first included" },
    delay: duration,
    backoff: { enum: [...BACKOFFS] },
  },
} as const;

export const workerLost = {
  type: "object",
  additionalProperties: false,
  required: ["retries"],
  properties: {
    retries: {
      type: "integer",
      minimum: 0,
      maximum: 10,
      description: "Times a try whose worker was lost is queued again before the step fails (default 2)",
    },
  },
} as const;

const stringMap = { type: "object", additionalProperties: { type: "string" } } as const;
const quantities = { type: "object", additionalProperties: { type: ["string", "number"] } } as const;

/** `runner:`; which keys apply to which type is checked in validate/runner.ts, with clearer messages. */
export const runner = {
  type: "object",
  additionalProperties: false,
  properties: {
    type: { enum: [...RUNNER_TYPES], description: "Where the step runs (default local)" },
    labels: { type: "array", items: { type: "string" }, description: "Labels the worker must all have" },
    image: { type: "string", description: "The container image (docker, kubernetes)" },
    pull: { enum: [...PULL_POLICIES], description: "When to pull the image (default if-missing)" },
    env: {
      type: "object",
      additionalProperties: { type: ["string", "number", "boolean", "null"] },
      description: "Environment of the container, besides the step's env",
    },
    volumes: {
      type: "array",
      items: { type: "string", pattern: "^[^:]+:/[^:]*(:(ro|rw))?$" },
      description: "host-path:container-path[:ro] (docker)",
    },
    network: { type: "string", description: "The container network (docker)" },
    user: { type: ["string", "integer"], description: "uid[:gid] or a user name" },
    cpus: { type: ["number", "string"], description: "CPU limit, e.g. 1.5 or 500m" },
    memory: { type: ["number", "string"], description: "Memory limit in bytes, or e.g. 512m, 2Gi" },
    credentials: {
      type: "object",
      additionalProperties: false,
      required: ["username", "password"],
      properties: { username: { type: "string" }, password: { type: "string" }, server: { type: "string" } },
      description: "Registry login; use secret references (ref+env://...)",
    },
    docker: { type: "boolean", description: "Docker-in-Docker: give the step a container engine" },
    namespace: { type: "string", description: "Kubernetes namespace" },
    service_account: { type: "string", description: "Kubernetes service account" },
    resources: {
      type: "object",
      additionalProperties: false,
      properties: { requests: quantities, limits: quantities },
    },
    node_selector: stringMap,
    tolerations: { type: "array", items: { type: "object" } },
    image_pull_secrets: { type: "array", items: { type: "string" } },
    nodes: {
      type: "string",
      description:
        "ssh: the inventory nodes to run on, e.g. tags:web and env:prod (name, host, user, port, tags, attributes; and, or, not, globs)",
    },
    max_parallel: {
      type: "integer",
      minimum: 1,
      description: "ssh: how many nodes run the step at once (default 1: one after another)",
    },
    keep_going: {
      type: "boolean",
      description: "ssh: after a node fails, still run the remaining nodes (default false)",
    },
  },
} as const;

const scalarMap = {
  type: "object",
  additionalProperties: { type: ["string", "number", "boolean", "null"] },
} as const;

export const step = {
  type: "object",
  additionalProperties: false,
  properties: {
    name: { type: "string" },
    needs: { type: ["string", "array"], items: { type: "string" } },
    uses: {
      type: "string",
      description:
        "./path (same repository), library/path@ref, or workflow:<name> (a sub-workflow, a child run)",
    },
    secrets: {
      description:
        "Sub-workflows: `inherit` (all of this workflow's secrets) or child name -> this workflow's secret",
      anyOf: [{ const: "inherit" }, { type: "object", additionalProperties: { type: "string" } }],
    },
    run: { type: "string" },
    shell: { enum: [...SHELLS] },
    with: { type: "object" },
    env: scalarMap,
    if: expressionOrBoolean,
    retry,
    worker_lost: workerLost,
    timeout: duration,
    for_each: { type: ["string", "array"], description: "A list, or an expression giving one" },
    continue_on_error: expressionOrBoolean,
    working_directory: { type: "string" },
    runner,
    unsafe_interpolation: {
      type: "boolean",
      description:
        "true lets run: splice outside text (string inputs, trigger payloads, github.event) into the script, where it runs as code; prefer env:",
    },
    approval: approvalSchema,
    environment: environmentUseSchema,
    steps: { $ref: "#/definitions/job_steps" },
    outputs: { $ref: "#/definitions/job_outputs" },
    strategy: { $ref: "#/definitions/strategy" },
    services: { $ref: "#/definitions/services" },
  },
} as const;

export const actionRuns = {
  type: "object",
  additionalProperties: false,
  required: ["using"],
  properties: {
    using: { enum: [...ACTION_LANGUAGES] },
    script: { type: "string", description: "A script file in the action's folder" },
    run: { type: "string", description: "An inline script" },
    command: { type: ["string", "array"], items: { type: "string" } },
    image: { type: "string", description: "For using: container, the image to run" },
    entrypoint: { type: ["string", "array"], items: { type: "string" } },
    steps: { $ref: "#/definitions/job_steps" },
  },
} as const;

/**
 * One `on.schedule` entry. The cron expression and the time zone are checked beyond their type by the
 * engine's loader (core has no cron parser), with the same file:line:col problems.
 */
export const scheduleEntry = {
  type: "object",
  additionalProperties: false,
  required: ["cron"],
  properties: {
    cron: {
      type: "string",
      // A pattern rather than minLength: Ajv's standalone code for minLength needs require().
      pattern: "\\S",
      description:
        "minute hour day-of-month month day-of-week (5 fields), seconds first (6 fields), or @yearly, @monthly, @weekly, @daily, @hourly",
    },
    name: {
      type: "string",
      pattern: IDENTIFIER_PATTERN,
      description: "Names the schedule (id <workflow>:<name>); without it the id is <workflow>:<index>",
    },
    timezone: {
      type: "string",
      // A pattern rather than minLength: Ajv's standalone code for minLength needs require().
      pattern: "\\S",
      description: "An IANA time zone such as Europe/Berlin; default UTC",
    },
    inputs: { type: "object", description: "The inputs of each run this schedule starts" },
    concurrency: {
      enum: ["allow", "forbid", "replace"],
      description:
        "While a run of this schedule is active: allow another (default), forbid (skip the fire), replace (cancel it)",
    },
    // A fire that cannot start within this long after its time is recorded as missed.
    starting_deadline: duration,
    catch_up: {
      enum: ["none", "latest", "all"],
      description:
        "Fires missed while no scheduler ran: none, the latest one (default), or all (at most 100)",
    },
    suspend: { type: "boolean", description: "true: the schedule does not fire until resumed" },
  },
} as const;

export { scalarMap };

const patternList = {
  type: "array",
  items: { type: "string" },
  description: "GitHub Actions filter patterns (*, **, ?, +, [a-z]; !pattern excludes in include lists)",
} as const;

/** `on.push`: GitHub Actions' filters. Using both a list and its `-ignore` list is refused by the validator. */
export const pushTrigger = {
  type: ["object", "null"],
  additionalProperties: false,
  properties: {
    branches: patternList,
    "branches-ignore": patternList,
    tags: patternList,
    "tags-ignore": patternList,
    paths: patternList,
    "paths-ignore": patternList,
  },
} as const;

export const PULL_REQUEST_TYPES = [
  "assigned",
  "unassigned",
  "labeled",
  "unlabeled",
  "opened",
  "edited",
  "closed",
  "reopened",
  "synchronize",
  "converted_to_draft",
  "ready_for_review",
  "locked",
  "unlocked",
  "review_requested",
  "review_request_removed",
  "auto_merge_enabled",
  "auto_merge_disabled",
  "milestoned",
  "demilestoned",
  "enqueued",
  "dequeued",
] as const;

/** `on.pull_request`: branches filter the base branch; types default to opened, synchronize, reopened. */
export const pullRequestTrigger = {
  type: ["object", "null"],
  additionalProperties: false,
  properties: {
    branches: patternList,
    "branches-ignore": patternList,
    paths: patternList,
    "paths-ignore": patternList,
    types: { type: "array", items: { enum: [...PULL_REQUEST_TYPES] } },
    forks: {
      type: "object",
      additionalProperties: false,
      properties: {
        secrets: {
          type: "boolean",
          description:
            "Give runs of pull requests from forks the source's secrets and credentials (default false: they run without them)",
        },
      },
    },
  },
} as const;
