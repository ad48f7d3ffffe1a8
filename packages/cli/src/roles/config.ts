import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  DURATION_PATTERN,
  formatProblem,
  parseDuration,
  parseYamlFile,
  RUNNER_TYPES,
  type RunnerType,
  schemaProblems,
} from "@gantry/core";
import {
  createSecretCache,
  findSecretRefs,
  type LibraryConfig,
  nodeEntrySchema,
  resolveRefsDeep,
  resolveSecretRef,
  type S3ArchiveOptions,
  type SourceConfig,
  sshSettingsSchema,
} from "@gantry/engine";
import { UsageError } from "../errors.js";
import { type AuthOptions, authOptionsOf, authSchema, type FileAuth } from "./auth.js";
import { type FileNodeSettings, type NodeSettings, nodeSettingsOf } from "./nodes.js";
import { type FilePeopleSettings, type PeopleSettings, peopleSchemas, peopleSettingsOf } from "./people.js";

/**
 * Gantry's settings, from three places; later ones win: `gantry.yaml` (or --config), then GANTRY_*
 * environment variables, then command-line flags. Any value may be a secret reference (ref+env://…).
 *
 * | setting            | gantry.yaml          | environment              | flag            | default              |
 * | database           | database             | GANTRY_DATABASE          | --database      | <data>/gantry.db     |
 * | data folder        | data                 | GANTRY_DATA              | --data          | ./.gantry            |
 * | workflows folder   | dir                  | GANTRY_DIR               | --dir           | ./examples (up)      |
 * | listen address     | server.host          | GANTRY_HOST              | --host          | 127.0.0.1            |
 * | listen port        | server.port          | GANTRY_PORT              | --port          | 8080                 |
 * | metrics listener   | metrics.port         | GANTRY_METRICS_PORT      | --metrics-port  | off (/metrics on the API port) |
 * | metrics address    | metrics.host         | GANTRY_METRICS_HOST      |                 | the listen address   |
 * | worker labels      | worker.labels        | GANTRY_WORKER_LABELS     | --labels        | (none)               |
 * | worker runners     | worker.runners       | GANTRY_WORKER_RUNNERS    | --runners       | local                |
 * | worker concurrency | worker.concurrency   | GANTRY_WORKER_CONCURRENCY| --concurrency   | 4                    |
 * | encryption key     | encryption_key       | GANTRY_ENCRYPTION_KEY    |                 | generated in <data>  |
 * | k8s step pods      | worker.kubernetes    |                          |                 | pod_security: restricted |
 * | retention          | retention.runs/.logs |                          |                 | keep forever         |
 * | singleton lease    | singletons.lease     |                          |                 | 30 (seconds)         |
 * | git sources        | sources              |                          |                 | (none)               |
 * | authentication     | auth (see auth.ts)   | GANTRY_AUTH_REQUIRED     | --insecure      | local single-user    |
 * | node inventory     | nodes, known_hosts, ssh (see nodes.ts) |                 |                 | (none)               |
 *
 * Secret references under `sources` are resolved at each use (each sync, each webhook), not here; those
 * under `nodes` and `ssh` on the worker, just before it connects.
 * GANTRY_DATABASE and GANTRY_ENCRYPTION_KEY may be references too (ref+file:///… for a mounted Secret).
 * The encryption key may be a ring, `NEW,OLD`: the first key seals, every key opens (key rotation).
 */
export interface Config {
  database?: string;
  data: string;
  dir?: string;
  server: {
    host: string;
    port: number;
    publicUrl?: string;
    /** The largest body a workflow's webhook accepts unless the hook sets `max_body`. */
    webhookBodyLimit?: number;
  };
  /**
   * A second listener for /metrics, /healthz and /readyz, apart from the API, so a load balancer or an
   * Ingress that routes the API never exposes them. Undefined: /metrics stays on the API port.
   */
  metrics?: { host: string; port: number };
  worker: {
    labels: string[];
    concurrency: number;
    leaseMs: number;
    pollMs: number;
    graceMs: number;
    /** Runner types this worker offers; steps of other types go to other workers. */
    runners: RunnerType[];
    /** worker.docker in gantry.yaml: the engine comes from DOCKER_HOST. */
    docker?: { engineSocket?: string; tmp?: string };
    /** worker.kubernetes in gantry.yaml: in-cluster or kubeconfig authentication. */
    kubernetes?: {
      kubeconfig?: string;
      namespace?: string;
      initImage?: string;
      dindImage?: string;
      podSecurity?: PodSecurityLevel;
    };
  };
  encryptionKey?: string;
  logs: { s3?: S3ArchiveOptions };
  /** How long finished runs and their logs are kept; undefined keeps them forever. */
  retention: { runsMs?: number; logsMs?: number };
  /** The lease of the scheduler and of each trigger listener: a dead leader is replaced within it. */
  singletonLeaseMs?: number;
  /** Git sources, their secret references unresolved. */
  sources: SourceConfig[];
  /** Action libraries (`uses: <name>/<path>@<ref>`), their secret references unresolved. */
  libraries: LibraryConfig[];
  /** How callers authenticate: local single-user mode unless auth is configured or required. */
  auth: AuthOptions;
  /** The node inventory and the SSH client's settings. */
  nodes: NodeSettings;
  /** Deployment environments, notification defaults and SMTP (see people.ts). */
  people: PeopleSettings;
  /** server.public_url: the address people reach Gantry at, for links in notifications. */
  publicUrl?: string;
  /** The config file's folder: where relative ref+file:// and ref+sops:// references resolve. */
  configDir: string;
}

export interface ConfigFlags {
  config?: string;
  database?: string;
  data?: string;
  dir?: string;
  host?: string;
  port?: string;
  labels?: string;
  runners?: string;
  concurrency?: string;
  metricsPort?: string;
  /** Serve another address than loopback without authentication. */
  insecure?: boolean;
}

/** Pod Security Standards levels: what the Kubernetes runner's step pods are made to pass. */
export const POD_SECURITY_LEVELS = ["restricted", "baseline", "privileged"] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

const NONEMPTY = "\\S";

const sourceSchema = {
  type: "object",
  additionalProperties: false,
  required: ["name", "url"],
  properties: {
    name: { type: "string", pattern: "^[A-Za-z0-9_.-]+$", description: "letters, digits, _ . -" },
    url: {
      type: "string",
      pattern: NONEMPTY,
      description: "https://, ssh:// or file:// URL of the repository",
    },
    ref: { type: "string", pattern: NONEMPTY, description: "branch, tag or commit (default main)" },
    path: { type: "string", description: "folder of workflows in the repository (default: all of it)" },
    interval: {
      anyOf: [
        { type: "string", pattern: DURATION_PATTERN },
        { type: "number", minimum: 0 },
      ],
      description: "polling interval, e.g. 60s (default); 0 polls never",
    },
    credentials: {
      type: "object",
      additionalProperties: false,
      properties: { token: { type: "string" }, username: { type: "string" }, ssh_key: { type: "string" } },
    },
    github: {
      type: "object",
      additionalProperties: false,
      required: ["repository", "secret"],
      properties: {
        repository: { type: "string", pattern: "^[^/\\s]+/[^/\\s]+$", description: "owner/name" },
        secret: { type: "string", pattern: NONEMPTY, description: "the webhook secret (a ref+… reference)" },
        token: {
          type: "string",
          pattern: NONEMPTY,
          description: "report runs as commit statuses with this token (a ref+… reference)",
        },
        app: {
          type: "object",
          additionalProperties: false,
          required: ["app_id", "private_key", "installation_id"],
          description: "report runs as check runs, as this GitHub App",
          properties: {
            app_id: { type: ["integer", "string"], pattern: "^[0-9]+$" },
            private_key: {
              type: "string",
              pattern: NONEMPTY,
              description: "the app's PEM key (a ref+… reference)",
            },
            installation_id: { type: ["integer", "string"], pattern: "^[0-9]+$" },
          },
        },
        api_url: {
          type: "string",
          pattern: "^https?://",
          description:
            "the REST API (default https://api.github.com; GitHub Enterprise Server: https://HOST/api/v3)",
        },
      },
    },
  },
} as const;

const configSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    database: { type: "string" },
    data: { type: "string" },
    dir: { type: "string" },
    encryption_key: { type: "string" },
    server: {
      type: "object",
      additionalProperties: false,
      properties: {
        host: { type: "string" },
        port: { type: "integer", minimum: 0, maximum: 65535 },
        public_url: {
          type: "string",
          pattern: "^https?://",
          description:
            "where people reach Gantry: links to runs (on GitHub, in notifications) are made from it",
        },
        webhook_body_limit: {
          type: "integer",
          minimum: 1,
          maximum: 26214400,
          description:
            "the largest body, in bytes, a workflow's webhook accepts unless it sets max_body (default 1048576)",
        },
      },
    },
    ...peopleSchemas,
    metrics: {
      type: "object",
      additionalProperties: false,
      properties: {
        host: { type: "string", description: "default: server.host" },
        port: { type: "integer", minimum: 0, maximum: 65535, description: "e.g. 9090" },
      },
    },
    worker: {
      type: "object",
      additionalProperties: false,
      properties: {
        labels: { type: "array", items: { type: "string" } },
        runners: { type: "array", items: { enum: [...RUNNER_TYPES] } },
        docker: {
          type: "object",
          additionalProperties: false,
          properties: {
            engine_socket: {
              type: "string",
              description: "the engine's socket as its host sees it (docker: true)",
            },
            tmp: { type: "string", description: "folder for step files, shared with the engine" },
          },
        },
        kubernetes: {
          type: "object",
          additionalProperties: false,
          properties: {
            kubeconfig: { type: "string" },
            namespace: { type: "string" },
            init_image: { type: "string" },
            dind_image: { type: "string", description: "the Docker-in-Docker sidecar for docker: true" },
            pod_security: {
              enum: [...POD_SECURITY_LEVELS],
              description: "the Pod Security Standard step pods are made to pass (default restricted)",
            },
          },
        },
        concurrency: { type: "integer", minimum: 1 },
        lease: { type: "number", minimum: 1, description: "seconds" },
        poll: { type: "number", minimum: 1, description: "seconds" },
        grace: { type: "number", minimum: 0, description: "seconds" },
      },
    },
    singletons: {
      type: "object",
      additionalProperties: false,
      properties: {
        lease: {
          type: "number",
          minimum: 2,
          description: "seconds a scheduler or trigger leader holds its lease unrenewed (fail-over time)",
        },
      },
    },
    retention: {
      type: "object",
      additionalProperties: false,
      properties: {
        runs: { type: "string", pattern: DURATION_PATTERN, description: "e.g. 30d" },
        logs: { type: "string", pattern: DURATION_PATTERN, description: "e.g. 7d" },
      },
    },
    sources: { type: "array", items: sourceSchema },
    libraries: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "url"],
        properties: {
          name: sourceSchema.properties.name,
          url: sourceSchema.properties.url,
          credentials: sourceSchema.properties.credentials,
          pin: {
            enum: ["sha", "ref"],
            description:
              "sha: uses of this library must name a full 40-character commit id, never a branch or tag; ref (default): any",
          },
        },
      },
    },
    auth: authSchema,
    nodes: { type: "array", items: nodeEntrySchema },
    known_hosts: { type: "string", description: "OpenSSH known_hosts file the ssh runner trusts" },
    ssh: sshSettingsSchema,
    logs: {
      type: "object",
      additionalProperties: false,
      properties: {
        s3: {
          type: "object",
          additionalProperties: false,
          required: ["bucket"],
          properties: {
            bucket: { type: "string" },
            prefix: { type: "string" },
            endpoint: { type: "string" },
            region: { type: "string" },
            force_path_style: { type: "boolean" },
          },
        },
      },
    },
  },
} as const;

export interface FileConfig extends FileNodeSettings, FilePeopleSettings {
  database?: string;
  data?: string;
  dir?: string;
  encryption_key?: string;
  server?: { host?: string; port?: number; public_url?: string; webhook_body_limit?: number };
  metrics?: { host?: string; port?: number };
  worker?: {
    labels?: string[];
    concurrency?: number;
    lease?: number;
    poll?: number;
    grace?: number;
    runners?: RunnerType[];
    docker?: { engine_socket?: string; tmp?: string };
    kubernetes?: {
      kubeconfig?: string;
      namespace?: string;
      init_image?: string;
      dind_image?: string;
      pod_security?: PodSecurityLevel;
    };
  };
  logs?: {
    s3?: { bucket: string; prefix?: string; endpoint?: string; region?: string; force_path_style?: boolean };
  };
  retention?: { runs?: string; logs?: string };
  singletons?: { lease?: number };
  sources?: FileSource[];
  libraries?: LibraryConfig[];
  auth?: FileAuth;
}

interface FileSource {
  name: string;
  url: string;
  ref?: string;
  path?: string;
  interval?: string | number;
  credentials?: SourceConfig["credentials"];
  github?: SourceConfig["github"];
}

export async function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const file = flags.config ?? env.GANTRY_CONFIG ?? "gantry.yaml";
  const fromFile = await readConfigFile(file, flags.config !== undefined || env.GANTRY_CONFIG !== undefined);
  const configDir = path.dirname(path.resolve(file));
  // Sources keep their references: they are resolved at each sync, so a rotated token needs no restart.
  // Node keys are resolved on the worker just before it connects, never held by the config.
  const {
    sources: fileSources,
    libraries: fileLibraries,
    nodes: fileNodes,
    known_hosts,
    ssh,
    environments,
    notify,
    smtp,
    ...rest
  } = fromFile;
  const people = peopleSettingsOf({
    ...(environments ? { environments } : {}),
    ...(notify ? { notify } : {}),
    ...(smtp ? { smtp } : {}),
  });
  const nodes = nodeSettingsOf(
    {
      ...(fileNodes ? { nodes: fileNodes } : {}),
      ...(known_hosts ? { known_hosts } : {}),
      ...(ssh ? { ssh } : {}),
    },
    configDir,
  );
  const resolved = (await resolveConfigRefs(rest, configDir, (at) => at.join("."))) as FileConfig;
  const pick = <T>(flag: T | undefined, envValue: T | undefined, fileValue: T | undefined) =>
    flag ?? envValue ?? fileValue;
  const number = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} '${text}': must be a whole number`);
    return n;
  };
  const labels = (text: string | undefined) =>
    text
      ?.split(",")
      .map((l) => l.trim())
      .filter(Boolean);
  // The two settings a Kubernetes Secret usually holds may name a mounted file instead of carrying it.
  const fromEnv = (await resolveConfigRefs(
    { database: env.GANTRY_DATABASE, key: env.GANTRY_ENCRYPTION_KEY },
    configDir,
    (at) => (at[0] === "database" ? "GANTRY_DATABASE" : "GANTRY_ENCRYPTION_KEY"),
  )) as { database?: string; key?: string };
  const encryptionKey = fromEnv.key ?? resolved.encryption_key;
  const database = pick(flags.database, fromEnv.database, resolved.database);
  const metricsPort = pick(
    number("--metrics-port", flags.metricsPort),
    number("GANTRY_METRICS_PORT", env.GANTRY_METRICS_PORT),
    resolved.metrics?.port,
  );
  const host = pick(flags.host, env.GANTRY_HOST, resolved.server?.host) ?? "127.0.0.1";
  const dir = pick(flags.dir, env.GANTRY_DIR, resolved.dir);
  return {
    ...(database ? { database } : {}),
    data: pick(flags.data, env.GANTRY_DATA, resolved.data) ?? ".gantry",
    ...(dir ? { dir } : {}),
    server: {
      host,
      port:
        pick(number("--port", flags.port), number("GANTRY_PORT", env.GANTRY_PORT), resolved.server?.port) ??
        8080,
      ...(resolved.server?.public_url ? { publicUrl: resolved.server.public_url } : {}),
      ...(resolved.server?.webhook_body_limit !== undefined
        ? { webhookBodyLimit: resolved.server.webhook_body_limit }
        : {}),
    },
    ...(metricsPort !== undefined
      ? { metrics: { host: env.GANTRY_METRICS_HOST ?? resolved.metrics?.host ?? host, port: metricsPort } }
      : {}),
    worker: {
      labels: pick(labels(flags.labels), labels(env.GANTRY_WORKER_LABELS), resolved.worker?.labels) ?? [],
      concurrency:
        pick(
          number("--concurrency", flags.concurrency),
          number("GANTRY_WORKER_CONCURRENCY", env.GANTRY_WORKER_CONCURRENCY),
          resolved.worker?.concurrency,
        ) ?? 4,
      leaseMs: (resolved.worker?.lease ?? 30) * 1000,
      pollMs: (resolved.worker?.poll ?? 5) * 1000,
      graceMs: (resolved.worker?.grace ?? 30) * 1000,
      // A worker of a config with nodes offers ssh as well, unless told which runners to offer.
      runners: runnerTypes(
        pick(labels(flags.runners), labels(env.GANTRY_WORKER_RUNNERS), resolved.worker?.runners) ??
          (nodes.entries.length > 0 ? ["local", "ssh"] : ["local"]),
        flags.runners !== undefined ? "--runners" : "GANTRY_WORKER_RUNNERS",
      ),
      ...(resolved.worker?.docker
        ? {
            docker: {
              ...(resolved.worker.docker.engine_socket
                ? { engineSocket: resolved.worker.docker.engine_socket }
                : {}),
              ...(resolved.worker.docker.tmp ? { tmp: resolved.worker.docker.tmp } : {}),
            },
          }
        : {}),
      ...(resolved.worker?.kubernetes
        ? {
            kubernetes: {
              ...(resolved.worker.kubernetes.kubeconfig
                ? { kubeconfig: resolved.worker.kubernetes.kubeconfig }
                : {}),
              ...(resolved.worker.kubernetes.namespace
                ? { namespace: resolved.worker.kubernetes.namespace }
                : {}),
              ...(resolved.worker.kubernetes.init_image
                ? { initImage: resolved.worker.kubernetes.init_image }
                : {}),
              ...(resolved.worker.kubernetes.dind_image
                ? { dindImage: resolved.worker.kubernetes.dind_image }
                : {}),
              ...(resolved.worker.kubernetes.pod_security
                ? { podSecurity: resolved.worker.kubernetes.pod_security }
                : {}),
            },
          }
        : {}),
    },
    ...(encryptionKey ? { encryptionKey } : {}),
    logs: resolved.logs?.s3 ? { s3: s3Options(resolved.logs.s3) } : {},
    retention: {
      ...(resolved.retention?.runs ? { runsMs: parseDuration(resolved.retention.runs) } : {}),
      ...(resolved.retention?.logs ? { logsMs: parseDuration(resolved.retention.logs) } : {}),
    },
    ...(resolved.singletons?.lease ? { singletonLeaseMs: resolved.singletons.lease * 1000 } : {}),
    sources: sourcesOf(fileSources ?? [], configDir),
    libraries: (fileLibraries ?? []).map((l) => ({
      ...l,
      url: /^\.{0,2}\//.test(l.url) ? path.resolve(configDir, l.url) : l.url,
    })),
    auth: authOptionsOf(resolved.auth, env),
    nodes,
    people,
    ...(resolved.server?.public_url || resolved.auth?.public_url
      ? { publicUrl: (resolved.server?.public_url ?? resolved.auth?.public_url) as string }
      : {}),
    configDir,
  };
}

/** Checks runner type names from a flag or the environment (the file's are checked by its schema). */
function runnerTypes(names: string[], where: string): RunnerType[] {
  for (const name of names) {
    if (!(RUNNER_TYPES as readonly string[]).includes(name)) {
      throw new UsageError(`${where}: unknown runner type '${name}' (allowed: ${RUNNER_TYPES.join(", ")})`);
    }
  }
  return [...new Set(names)] as RunnerType[];
}

/** Default interval: a minute, as Argo CD and Flux poll; webhooks make a push immediate anyway. */
const DEFAULT_SOURCE_INTERVAL_MS = 60_000;

function sourcesOf(sources: FileSource[], configDir: string): SourceConfig[] {
  const seen = new Set<string>();
  return sources.map((s, i) => {
    if (seen.has(s.name)) throw new UsageError(`sources[${i}].name: '${s.name}' is used by another source`);
    seen.add(s.name);
    const interval =
      s.interval === undefined
        ? DEFAULT_SOURCE_INTERVAL_MS
        : typeof s.interval === "number"
          ? s.interval * 1000
          : parseDuration(s.interval);
    return {
      name: s.name,
      // A local path is relative to the config file, not to wherever git runs (the cache).
      url: /^\.{0,2}\//.test(s.url) ? path.resolve(configDir, s.url) : s.url,
      ref: s.ref ?? "main",
      path: s.path ?? "",
      intervalMs: interval,
      ...(s.credentials ? { credentials: s.credentials } : {}),
      ...(s.github ? { github: s.github } : {}),
    };
  });
}

function s3Options(s3: NonNullable<NonNullable<FileConfig["logs"]>["s3"]>): S3ArchiveOptions {
  return {
    bucket: s3.bucket,
    ...(s3.prefix ? { prefix: s3.prefix } : {}),
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    ...(s3.region ? { region: s3.region } : {}),
    ...(s3.force_path_style !== undefined ? { forcePathStyle: s3.force_path_style } : {}),
  };
}

export async function readConfigFile(file: string, required: boolean): Promise<FileConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new UsageError(
      `${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (error as Error).message}`,
    );
  }
  const parsed = parseYamlFile(file, text);
  const problems = parsed.source ? schemaProblems(parsed.source, configSchema) : parsed.problems;
  if (problems.length > 0) throw new UsageError(problems.map(formatProblem).join("\n"));
  return (parsed.source?.value ?? {}) as FileConfig;
}

/** sysexits' EX_CONFIG: the configuration is wrong, not the program. */
export const CONFIG_ERROR_EXIT = 78;

/**
 * Resolves the secret references of a config, naming the setting whose reference cannot be resolved
 * (an unset ref+env:// variable, a missing file) and exiting with a configuration error.
 */
async function resolveConfigRefs(
  value: unknown,
  baseDir: string,
  settingOf: (at: (string | number)[]) => string,
): Promise<unknown> {
  // One cache for both passes: a sops file is decrypted once.
  const cache = createSecretCache(Number.POSITIVE_INFINITY);
  for (const { ref, at } of findSecretRefs(value)) {
    try {
      await resolveSecretRef(ref, { baseDir, cache });
    } catch (error) {
      throw new UsageError(
        `configuration error: ${settingOf(at)}: cannot resolve ${ref.split(/[?#]/)[0]}: ${(error as Error).message}`,
        CONFIG_ERROR_EXIT,
      );
    }
  }
  return resolveRefsDeep(value, { baseDir, cache });
}
