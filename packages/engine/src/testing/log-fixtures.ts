import { randomBytes, randomUUID } from "node:crypto";
import type { Insertable } from "kysely";
import type { Channel, NotifierLike } from "../queue/notifier.js";
import { LocalNotifier } from "../queue/notifier.js";
import type { ServiceContext } from "../service/context.js";
import { processState } from "../service/process-state.js";
import { SecretBox } from "../service/secret-box.js";
import type { Database } from "../store/database.js";
import type { TaskKey } from "../store/queries/log-chunks.js";
import type { RunsTable } from "../store/tables.js";
import { postgresDatabase, sqliteDatabase } from "./databases.js";

export type TestContext = ServiceContext & { clock: { ms: number }; close(): Promise<void> };

/**
 * For tests of logs and retention without a worker: a service context on a fresh SQLite database with
 * the in-process notifier and a clock the test may move (`clock.ms`), and run rows made directly.
 */
export async function sqliteContext(): Promise<TestContext> {
  return contextOn(await sqliteDatabase());
}

/** The same on a PostgreSQL database of its own (still with the in-process notifier). */
export async function postgresContext(): Promise<TestContext> {
  return contextOn(await postgresDatabase());
}

function contextOn(database: Database): TestContext {
  const notifier = new LocalNotifier();
  const clock = { ms: Date.now() };
  return {
    database,
    notifier,
    box: new SecretBox(randomBytes(32)),
    now: () => clock.ms,
    ...processState(),
    clock,
    async close() {
      await notifier.close();
      await database.close();
    },
  };
}

/** Inserts a run row (running, unless `row` says otherwise) and returns its id. */
export async function insertTestRun(
  ctx: ServiceContext,
  row: Partial<Insertable<RunsTable>> = {},
): Promise<string> {
  const id = row.id ?? randomUUID();
  const now = ctx.now();
  await ctx.database.db
    .insertInto("runs")
    .values({
      id,
      workflow: "logs-test",
      revision: "rev",
      status: "running",
      trigger_json: "{}",
      inputs_json: "{}",
      secret_inputs: null,
      info_json: "{}",
      state_json: "{}",
      outputs_json: null,
      error: null,
      attempt: 1,
      parent_run_id: null,
      concurrency_group: null,
      cancel_requested: 0,
      created_at: now,
      started_at: now,
      finished_at: null,
      ...row,
    })
    .execute();
  return id;
}

export function taskKey(runId: string, step: string, attempt = 1, item = 0): TaskKey {
  return { run_id: runId, step, item_index: item, attempt };
}

/** The next notification on `channel`, or a rejection naming what did not come within `timeoutMs`. */
export function nextNotification(
  notifier: NotifierLike,
  channel: Channel,
  timeoutMs = 5000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no '${channel}' notification within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = notifier.subscribe(channel, (payload) => {
      clearTimeout(timer);
      unsubscribe();
      resolve(payload);
    });
  });
}
