import pg from "pg";
import { waitFor } from "../../../../engine/src/testing/wait-for.js";
import { readLedger, startedSteps } from "./ledger.js";

/** One row of the suite's table. */
export interface FaultResult {
  fault: string;
  runs: number;
  /** Runs that ended in another status than succeeded. */
  failed: number;
  /** Runs submitted (accepted with an id) that the store does not have. */
  lost: number;
  /** Steps two tries of which ran at once. */
  doubled: number;
  /** Steps run to the end twice one after the other (a result lost with its worker; see LedgerCounts). */
  repeated: number;
  /** Runs not finished when the suite stopped waiting. */
  stuck: number;
  /** Tries that ended as "worker lost" (each was queued again). */
  lostTries: number;
  /** From the fault's end until every run in flight had finished (compare with the row without a fault). */
  recoveryMs: number;
}

export interface ScenarioOptions {
  fault: string;
  /** The API's URL (it may change when the server restarts). */
  url: () => string;
  /** The store, read directly: the API may be down during the fault. */
  store: StoreReader;
  workflow: string;
  runs: number;
  ledger: string;
  /** Steps to have started before the fault. */
  startedBefore?: number;
  /** Brings the fault and ends it; resolves when the system may recover (the service is back). */
  inject: () => Promise<void>;
  /** Checks after the runs finished (the logs of the S3 and disk-full faults). */
  after?: (ids: string[]) => Promise<void>;
  /** How long the runs may take to finish after the fault. */
  finishMs?: number;
}

const FINISHED = ["succeeded", "failed", "cancelled", "timed_out", "skipped"];

/** POSTs until the API answers: a server may be starting again. */
export async function submit(url: () => string, workflow: string): Promise<string> {
  return waitFor(
    async () => {
      try {
        const res = await fetch(`${url()}/api/v1/workflows/${workflow}/runs`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ inputs: {} }),
        });
        if (!res.ok) return undefined;
        return ((await res.json()) as { id: string }).id;
      } catch {
        return undefined;
      }
    },
    { what: `a run of ${workflow} to be accepted`, timeoutMs: 60_000, intervalMs: 200 },
  );
}

/** What the suite reads of the store: the runs' statuses and how many tries were lost with a worker. */
export interface StoreReader {
  statuses(ids: string[]): Promise<Map<string, string>>;
  lostTries(ids: string[]): Promise<number>;
}

export function postgresReader(database: string): StoreReader {
  return { statuses: (ids) => statuses(database, ids), lostTries: (ids) => lostTries(database, ids) };
}

/** A SQLite store (gantry up's), opened read-only for each question: the process may be restarting. */
export async function sqliteReader(file: string): Promise<StoreReader> {
  const SQLite = (await import("better-sqlite3")).default;
  const ask = <T>(question: (db: InstanceType<typeof SQLite>) => T): T => {
    const db = new SQLite(file, { readonly: true, fileMustExist: true });
    try {
      return question(db);
    } finally {
      db.close();
    }
  };
  const marks = (ids: string[]) => ids.map(() => "?").join(",");
  return {
    statuses: async (ids) =>
      ask((db) => {
        const rows = db
          .prepare(`SELECT id, status FROM runs WHERE id IN (${marks(ids)})`)
          .all(...ids) as Array<{
          id: string;
          status: string;
        }>;
        return new Map(rows.map((r) => [r.id, r.status]));
      }),
    lostTries: async (ids) =>
      ask(
        (db) =>
          (
            db
              .prepare(
                `SELECT count(*) AS n FROM step_attempts WHERE run_id IN (${marks(ids)}) AND error LIKE 'worker lost%'`,
              )
              .get(...ids) as { n: number }
          ).n,
      ),
  };
}

async function statuses(database: string, ids: string[]): Promise<Map<string, string>> {
  const client = new pg.Client({ connectionString: database, connectionTimeoutMillis: 5000 });
  client.on("error", () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; status: string }>(
      "SELECT id, status FROM runs WHERE id = ANY($1)",
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.status]));
  } finally {
    await client.end();
  }
}

async function lostTries(database: string, ids: string[]): Promise<number> {
  const client = new pg.Client({ connectionString: database, connectionTimeoutMillis: 5000 });
  client.on("error", () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      "SELECT count(*) AS n FROM step_attempts WHERE run_id = ANY($1) AND error LIKE 'worker lost%'",
      [ids],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** Waits until every run is finished (or the time is up), reading the store; answers the statuses. */
async function settle(store: StoreReader, ids: string[], timeoutMs: number): Promise<Map<string, string>> {
  let last = new Map<string, string>();
  try {
    await waitFor(
      async () => {
        try {
          last = await store.statuses(ids);
        } catch {
          return false; // the database itself may be restarting
        }
        return ids.every((id) => FINISHED.includes(last.get(id) ?? ""));
      },
      { what: "the runs to finish", timeoutMs, intervalMs: 250 },
    );
  } catch {
    // Counted as stuck below.
  }
  return last;
}

/** Runs `runs` runs through a fault and counts what happened to them. */
export async function runScenario(options: ScenarioOptions): Promise<FaultResult> {
  const ids: string[] = [];
  // 50 at a time, as clients submit in bursts.
  while (ids.length < options.runs) {
    const batch = Math.min(50, options.runs - ids.length);
    ids.push(
      ...(await Promise.all(Array.from({ length: batch }, () => submit(options.url, options.workflow)))),
    );
  }
  const idSet = new Set(ids);
  await waitFor(() => startedSteps(options.ledger, idSet) >= (options.startedBefore ?? 10), {
    what: "steps to start before the fault",
    timeoutMs: 60_000,
    intervalMs: 50,
  });
  await options.inject();
  const clearedAt = Date.now();
  const final = await settle(options.store, ids, options.finishMs ?? 180_000);
  const recoveryMs = Date.now() - clearedAt;
  const { doubled, repeated } = readLedger(options.ledger, idSet);
  await options.after?.(ids);
  return {
    fault: options.fault,
    runs: ids.length,
    failed: ids.filter(
      (id) => final.has(id) && FINISHED.includes(final.get(id) ?? "") && final.get(id) !== "succeeded",
    ).length,
    lost: ids.filter((id) => !final.has(id)).length,
    doubled,
    repeated,
    stuck: ids.filter((id) => final.has(id) && !FINISHED.includes(final.get(id) ?? "")).length,
    lostTries: await options.store.lostTries(ids),
    recoveryMs,
  };
}

export function faultTable(results: FaultResult[]): string {
  const header =
    "| fault | runs | failed | lost | doubled | stuck | tries lost | re-run after end | recovered in |";
  const rule = "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";
  const rows = results.map(
    (r) =>
      `| ${r.fault} | ${r.runs} | ${r.failed} | ${r.lost} | ${r.doubled} | ${r.stuck} | ${r.lostTries} | ${r.repeated} | ${(r.recoveryMs / 1000).toFixed(1)} s |`,
  );
  return [header, rule, ...rows].join("\n");
}
