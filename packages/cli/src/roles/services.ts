import { mkdirSync } from "node:fs";
import path from "node:path";
import {
  LocalLogArchive,
  LocalNotifier,
  type LogArchiveLike,
  migrate,
  type NotifierLike,
  openDatabase,
  PgNotifier,
  S3LogArchive,
  SecretBox,
  type ServiceContext,
  s3OptionsFromEnv,
} from "@gantry/engine";
import { UsageError } from "../errors.js";
import type { Config } from "./config.js";

/** Opens the store (migrating it), the wake-up channel and the secret box that every role shares. */
export async function openServices(
  config: Config,
  log: (line: string) => void,
  options: { requirePostgres?: boolean } = {},
): Promise<ServiceContext & { close(): Promise<void> }> {
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
  if (!config.database) mkdirSync(config.data, { recursive: true });
  const database = await openDatabase(location);
  try {
    await migrate(database);
  } catch (error) {
    await database.close().catch(() => {});
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
  const box = SecretBox.fromConfig(config.encryptionKey, config.data);
  return {
    database,
    notifier,
    box,
    now: () => Date.now(),
    async close() {
      await notifier.close();
      await database.close();
    },
  };
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
