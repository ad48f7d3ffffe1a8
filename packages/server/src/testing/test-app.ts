import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  createWorker,
  type Database,
  type InventoryState,
  LocalLogArchive,
  LocalNotifier,
  LocalRunner,
  type LogArchiveLike,
  migrate,
  openDatabase,
  processState,
  registerFolder,
  SecretBox,
  type ServiceContext,
  type SourceSyncer,
  type Worker,
  type WorkerOptions,
} from "@gantry/engine";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../app.js";
import type { AuthOptions } from "../auth/types.js";
import { LogTails } from "../logs/tails.js";
import { createMetrics } from "../metrics.js";

export interface TestApp {
  dir: string;
  service: ServiceContext;
  app: FastifyInstance;
  logArchive: LogArchiveLike;
  logTails: LogTails;
  /** Closes the app, the store and the notifier, and removes the folder. */
  close(): Promise<void>;
}

/**
 * The API as `gantry up` builds it, in-process for tests: a SQLite store in a temporary folder, the given
 * workflow files registered (any problem fails the set-up), local log archive, no worker (tests add theirs).
 */
export async function openTestApp(
  prefix: string,
  workflows: Record<string, string>,
  options: {
    now?: () => number;
    auth?: AuthOptions;
    /** Git sources' syncer, made from the test's service (stopped by close()). */
    sources?: (service: ServiceContext, dir: string) => SourceSyncer;
    /** A built UI folder to serve at `/`. */
    uiDir?: string;
    /** false: metrics on a listener of their own, none on the API port. */
    metricsOnApiPort?: boolean;
    /** The node inventory the Nodes page lists and runs choose from. */
    nodes?: NonNullable<ServiceContext["nodes"]> & { current(): Promise<InventoryState> };
    /** Another migrated store than the SQLite file in the test's folder (PostgreSQL); closed by close(). */
    database?: Database;
    /** Another log archive than the folder `<dir>/logs` (S3). */
    logArchive?: LogArchiveLike;
    /** The server's warnings for the operator (ServerContext.onWarning). */
    onWarning?: (message: string) => void;
  } = {},
): Promise<TestApp> {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  mkdirSync(path.join(dir, "flows"));
  for (const [name, text] of Object.entries(workflows)) writeFileSync(path.join(dir, "flows", name), text);
  const database = options.database ?? (await openDatabase(path.join(dir, "gantry.db")));
  if (!options.database) await migrate(database);
  const service: ServiceContext = {
    database,
    notifier: new LocalNotifier(),
    box: SecretBox.fromConfig(undefined, dir),
    now: options.now ?? (() => Date.now()),
    ...processState(),
    ...(options.nodes ? { nodes: options.nodes } : {}),
  };
  const { problems } = await registerFolder(service, path.join(dir, "flows"));
  if (problems.length > 0) throw new Error(`test workflows: ${JSON.stringify(problems)}`);
  const sources = options.sources?.(service, dir);
  const metrics = createMetrics(service);
  const logArchive = options.logArchive ?? new LocalLogArchive(path.join(dir, "logs"));
  const logTails = new LogTails(service, logArchive);
  const app = await buildApp({
    service,
    metrics,
    registry: metrics.registry,
    version: "test",
    logArchive,
    logTails,
    ...(options.auth ? { auth: options.auth } : {}),
    ...(sources ? { sources } : {}),
    ...(options.uiDir ? { uiDir: options.uiDir } : {}),
    ...(options.metricsOnApiPort !== undefined ? { metricsOnApiPort: options.metricsOnApiPort } : {}),
    ...(options.nodes ? { nodes: options.nodes } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  return {
    dir,
    service,
    app,
    logArchive,
    logTails,
    async close() {
      logTails.close();
      await sources?.stop();
      await app.close();
      await service.notifier.close();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A started worker on a test app's store: the local runner, a short poll and lease, as API tests need. */
export async function startTestWorker(
  service: ServiceContext,
  dir: string,
  extra: Partial<WorkerOptions> = {},
): Promise<Worker> {
  const worker = createWorker(service, {
    cacheDir: path.join(dir, "cache"),
    runner: new LocalRunner({ killGraceMs: 500 }),
    pollMs: 200,
    leaseMs: 3000,
    graceMs: 500,
    ...extra,
  });
  await worker.start();
  return worker;
}
