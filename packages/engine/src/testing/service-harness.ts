import { randomBytes } from "node:crypto";
import path from "node:path";
import type { Selectable } from "kysely";
import type { NotifierLike } from "../queue/notifier.js";
import { LocalNotifier } from "../queue/notifier.js";
import { PgNotifier } from "../queue/pg-notifier.js";
import { LocalRunner } from "../runners/local/local-runner.js";
import type { ServiceContext } from "../service/context.js";
import { processState } from "../service/process-state.js";
import { SecretBox } from "../service/secret-box.js";
import type { Database } from "../store/database.js";
import { decodeRunOutputs, decodeRunState } from "../store/decode/index.js";
import { getRun } from "../store/queries/get-run.js";
import { withPeopleTables } from "../store/queries/people-tables.js";
import type { RunsTable, StepAttemptsTable } from "../store/tables.js";
import { createWorker, type WorkerOptions } from "../worker/create-worker.js";
import type { Worker } from "../worker/worker.js";
import { tempDir } from "./temp-dir.js";
import { waitFor } from "./wait-for.js";

/** Short timings so tests run fast; a test that needs others passes them to `worker()`. */
export const FAST_WORKER = { pollMs: 250, leaseMs: 3000, graceMs: 500, concurrency: 4 } as const;

/**
 * What the service and worker suites share: a context on a test database (PgNotifier on PostgreSQL, the
 * in-process notifier on SQLite), a temporary folder, and workers that are all stopped by `stopWorkers()`.
 */
export interface Harness {
  database: Database;
  ctx: ServiceContext;
  tmp: ReturnType<typeof tempDir>;
  errors: Error[];
  /** A started worker with the real local runner and its own cache folder. */
  worker(options?: Partial<WorkerOptions> & { database?: Database }): Promise<Worker>;
  stopWorkers(): Promise<void>;
  waitForRun(id: string, statuses: string[], timeoutMs?: number): Promise<Selectable<RunsTable>>;
  attempts(runId: string, step?: string): Promise<Selectable<StepAttemptsTable>[]>;
  /** Empties the run tables (not workflows or bundles) between tests. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startNotifier(database: Database): Promise<NotifierLike> {
  if (database.dialect === "postgres") return PgNotifier.start(database.url!, database.pool!);
  return new LocalNotifier();
}

export async function openHarness(database: Database): Promise<Harness> {
  const tmp = tempDir("gantry-service-");
  const notifier = await startNotifier(database);
  const ctx: ServiceContext = {
    database,
    box: new SecretBox(randomBytes(32)),
    notifier,
    now: () => Date.now(),
    ...processState(),
  };
  const workers: Worker[] = [];
  const errors: Error[] = [];
  let count = 0;

  const harness: Harness = {
    database,
    ctx,
    tmp,
    errors,
    async worker(options = {}) {
      const n = count++;
      const { database: own, ...rest } = options;
      const worker = createWorker(own ? { ...ctx, database: own } : ctx, {
        ...FAST_WORKER,
        id: `worker-${n}`,
        cacheDir: path.join(tmp.dir, `cache-${n}`),
        runner: new LocalRunner({ tmpRoot: tmp.dir, killGraceMs: 500 }),
        onError: (error) => errors.push(error),
        ...rest,
      });
      workers.push(worker);
      await worker.start();
      return worker;
    },
    async stopWorkers() {
      await Promise.all(workers.splice(0).map((w) => w.stop()));
    },
    async waitForRun(id, statuses, timeoutMs = 15_000) {
      return waitFor(
        async () => {
          const row = await getRun(database.db, id);
          return row && statuses.includes(row.status) ? row : undefined;
        },
        { timeoutMs, what: `run ${id} to be ${statuses.join(" or ")}` },
      );
    },
    async attempts(runId, step) {
      let query = database.db.selectFrom("step_attempts").selectAll().where("run_id", "=", runId);
      if (step) query = query.where("step", "=", step);
      return query.orderBy("step").orderBy("item_index").orderBy("attempt").execute();
    },
    async reset() {
      for (const table of ["jobs", "runs", "run_steps", "step_attempts", "workers"] as const)
        await database.db.deleteFrom(table).execute();
      await withPeopleTables(database.db).deleteFrom("deployments").execute();
      await withPeopleTables(database.db).deleteFrom("notifications").execute();
      errors.length = 0;
    },
    async close() {
      await harness.stopWorkers();
      await notifier.close();
      await database.close();
      tmp.cleanup();
    },
  };
  return harness;
}

/** Parsed JSON columns of a run row, for assertions. */
export function runView(row: Selectable<RunsTable>) {
  return {
    status: row.status,
    outputs: decodeRunOutputs(row),
    state: decodeRunState(row),
    error: row.error,
  };
}
