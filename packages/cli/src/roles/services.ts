import { mkdirSync } from "node:fs";
import path from "node:path";
import {
  checkEncryptionKey,
  type Database,
  EncryptionKeyMismatch,
  LocalLogArchive,
  LocalNotifier,
  type LogArchiveLike,
  migrate,
  type NotifierLike,
  openDatabase,
  PgNotifier,
  processState,
  S3LogArchive,
  type SchemaWait,
  SecretBox,
  type ServiceContext,
  s3OptionsFromEnv,
  shortFingerprint,
  waitForSchema,
} from "@gantry/engine";
import type { ProcessHealth } from "@gantry/server";
import { UsageError } from "../errors.js";
import type { Config } from "./config.js";

export interface ServiceOptions {
  /** Separate servers and workers: PostgreSQL only, and a configured encryption key. */
  requirePostgres?: boolean;
  /**
   * Migrate the schema (`gantry up`, `--migrate`), or wait until `gantry migrate` has: servers and
   * workers wait, so that a rolling upgrade never migrates from whichever pod starts first.
   */
  migrate: boolean;
  /** Told when the process waits for the schema, for its probes. */
  health?: ProcessHealth;
}

/** PostgreSQL error codes no waiting cures: a wrong password, user or database name. */
export const FATAL_DATABASE_CODES = new Set(["28P01", "28000", "3D000"]);

/**
 * What a role needs before it may open anything, checked without touching the database (also by
 * `--check-config`): where the store is, and the encryption key ring.
 */
export function checkStore(
  config: Config,
  options: { requirePostgres?: boolean },
): { location: string; box: SecretBox } {
  const location = config.database ?? path.join(config.data, "gantry.db");
  if (options.requirePostgres && !config.database) {
    throw new UsageError(
      "a postgres:// URL is required for separate servers and workers: --database, GANTRY_DATABASE or database: in gantry.yaml",
    );
  }
  if (options.requirePostgres && !/^postgres(ql)?:\/\//.test(location)) {
    throw new UsageError(
      `--database must be a postgres:// URL for separate servers and workers (got '${redactUrl(location)}')`,
    );
  }
  let box: SecretBox;
  try {
    // On PostgreSQL other processes may share the store (`gantry up` on it too): one configured key.
    box = SecretBox.fromConfig(config.encryptionKey, config.data, {
      required: options.requirePostgres === true || /^postgres(ql)?:\/\//.test(location),
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return { location, box };
}

/**
 * Opens the store (migrating it, or waiting for its schema), checks the encryption key against the
 * deployment's, and starts the wake-up channel: what every role shares.
 */
export async function openServices(
  config: Config,
  log: (line: string) => void,
  options: ServiceOptions,
): Promise<ServiceContext & { close(): Promise<void> }> {
  const { location, box } = checkStore(config, options);
  if (!config.database) mkdirSync(config.data, { recursive: true });
  const database = await openDatabase(location);
  try {
    await prepareSchema(database, location, log, options);
    const { recorded, current } = await checkEncryptionKey(database.db, box, Date.now());
    if (recorded) log(`encryption key ${shortFingerprint(current)} recorded as this deployment's key`);
  } catch (error) {
    await database.close().catch(() => {});
    if (error instanceof UsageError) throw error;
    if (error instanceof EncryptionKeyMismatch) throw new UsageError(error.message);
    throw new UsageError(`cannot open the database ${redactUrl(location)}: ${(error as Error).message}`, 1);
  }
  let notifier: NotifierLike;
  if (database.pool && database.url) {
    notifier = await PgNotifier.start(database.url, database.pool, (state, error) =>
      log(
        state === "connected"
          ? "database notifications connected"
          : `database notifications lost: ${error?.message}; reconnecting`,
      ),
    );
  } else {
    notifier = new LocalNotifier();
  }
  return {
    database,
    notifier,
    box,
    now: () => Date.now(),
    // This process's caches and in-memory signals, shared by its roles (`gantry up` runs them all).
    ...processState(),
    environments: config.people.environments,
    notify: {
      defaults: config.people.notify,
      ...(config.people.smtp ? { smtp: config.people.smtp } : {}),
      ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
      baseDir: config.configDir,
    },
    async close() {
      await notifier.close();
      await database.close();
    },
  };
}

async function prepareSchema(
  database: Database,
  location: string,
  log: (line: string) => void,
  options: ServiceOptions,
): Promise<void> {
  if (options.migrate) {
    for (const name of await migrate(database)) log(`migrated the database: ${name}`);
    return;
  }
  const previous = options.health?.phase;
  const status = await waitForSchema(database, {
    onWait: (wait) => {
      if (options.health) options.health.phase = "waiting for the database schema";
      log(describeSchemaWait(wait, location));
    },
  });
  if (options.health && previous) options.health.phase = previous;
  if (status.newer.length > 0) {
    log(
      `the database schema is newer than this version (it has ${status.newer.join(", ")}): running on it, as ` +
        "during a rolling upgrade; upgrade this process",
    );
  }
}

/** The log line for a process waiting on the schema; throws for a database error no wait will cure. */
export function describeSchemaWait(wait: SchemaWait, location: string): string {
  if ("error" in wait) {
    if (wait.code && FATAL_DATABASE_CODES.has(wait.code))
      throw new UsageError(`cannot open the database ${redactUrl(location)}: ${wait.error}`, 1);
    return `waiting for the database ${redactUrl(location)} to answer: ${wait.error}`;
  }
  return (
    `waiting for the database schema: it ${wait.at ? `is at ${wait.at}` : "has no Gantry tables yet"}, and this ` +
    `version needs ${wait.pending.join(", ")}. Run \`gantry migrate\` (the Helm chart's migration Job does), or ` +
    "start one server with --migrate"
  );
}

/** A connection string as it may be shown: without its password. */
export function redactUrl(location: string): string {
  try {
    const url = new URL(location);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return location;
  }
}

/** Where finished logs go: S3 when GANTRY_LOGS_S3_BUCKET (or logs.s3 in gantry.yaml) is set, else <data>/logs. */
export function logArchiveFor(config: Config): LogArchiveLike {
  const s3 = s3OptionsFromEnv() ?? config.logs.s3;
  return s3 ? new S3LogArchive(s3) : new LocalLogArchive(path.join(config.data, "logs"));
}
