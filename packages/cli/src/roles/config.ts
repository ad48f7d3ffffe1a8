import { readFile } from "node:fs/promises";
import path from "node:path";
import { DURATION_PATTERN, formatProblem, parseDuration, parseYamlFile, schemaProblems } from "@gantry/core";
import { resolveRefsDeep, type S3ArchiveOptions } from "@gantry/engine";
import { UsageError } from "../errors.js";

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
 * | worker labels      | worker.labels        | GANTRY_WORKER_LABELS     | --labels        | (none)               |
 * | worker concurrency | worker.concurrency   | GANTRY_WORKER_CONCURRENCY| --concurrency   | 4                    |
 * | encryption key     | encryption_key       | GANTRY_ENCRYPTION_KEY    |                 | generated in <data>  |
 * | retention          | retention.runs/.logs |                          |                 | keep forever         |
 */
export interface Config {
  database?: string;
  data: string;
  dir?: string;
  server: { host: string; port: number };
  worker: { labels: string[]; concurrency: number; leaseMs: number; pollMs: number; graceMs: number };
  encryptionKey?: string;
  logs: { s3?: S3ArchiveOptions };
  /** How long finished runs and their logs are kept; undefined keeps them forever. */
  retention: { runsMs?: number; logsMs?: number };
}

export interface ConfigFlags {
  config?: string;
  database?: string;
  data?: string;
  dir?: string;
  host?: string;
  port?: string;
  labels?: string;
  concurrency?: string;
}

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
      properties: { host: { type: "string" }, port: { type: "integer", minimum: 0, maximum: 65535 } },
    },
    worker: {
      type: "object",
      additionalProperties: false,
      properties: {
        labels: { type: "array", items: { type: "string" } },
        concurrency: { type: "integer", minimum: 1 },
        lease: { type: "number", minimum: 1, description: "seconds" },
        poll: { type: "number", minimum: 1, description: "seconds" },
        grace: { type: "number", minimum: 0, description: "seconds" },
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
    // Later issues add their sections (sources, libraries, auth); accepted and ignored here.
    sources: {},
    libraries: {},
    auth: {},
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

interface FileConfig {
  database?: string;
  data?: string;
  dir?: string;
  encryption_key?: string;
  server?: { host?: string; port?: number };
  worker?: { labels?: string[]; concurrency?: number; lease?: number; poll?: number; grace?: number };
  logs?: {
    s3?: { bucket: string; prefix?: string; endpoint?: string; region?: string; force_path_style?: boolean };
  };
  retention?: { runs?: string; logs?: string };
}

export async function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const file = flags.config ?? env.GANTRY_CONFIG ?? "gantry.yaml";
  const fromFile = await readConfigFile(file, flags.config !== undefined || env.GANTRY_CONFIG !== undefined);
  const resolved = (await resolveRefsDeep(fromFile, {
    baseDir: path.dirname(path.resolve(file)),
  })) as FileConfig;
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
  const encryptionKey = env.GANTRY_ENCRYPTION_KEY ?? resolved.encryption_key;
  const database = pick(flags.database, env.GANTRY_DATABASE, resolved.database);
  const dir = pick(flags.dir, env.GANTRY_DIR, resolved.dir);
  return {
    ...(database ? { database } : {}),
    data: pick(flags.data, env.GANTRY_DATA, resolved.data) ?? ".gantry",
    ...(dir ? { dir } : {}),
    server: {
      host: pick(flags.host, env.GANTRY_HOST, resolved.server?.host) ?? "127.0.0.1",
      port:
        pick(number("--port", flags.port), number("GANTRY_PORT", env.GANTRY_PORT), resolved.server?.port) ??
        8080,
    },
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
    },
    ...(encryptionKey ? { encryptionKey } : {}),
    logs: resolved.logs?.s3 ? { s3: s3Options(resolved.logs.s3) } : {},
    retention: {
      ...(resolved.retention?.runs ? { runsMs: parseDuration(resolved.retention.runs) } : {}),
      ...(resolved.retention?.logs ? { logsMs: parseDuration(resolved.retention.logs) } : {}),
    },
  };
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

async function readConfigFile(file: string, required: boolean): Promise<FileConfig> {
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
