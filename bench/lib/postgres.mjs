// A fresh PostgreSQL database per service workload, dropped afterwards (also when the bench fails).
// The server is GANTRY_BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432 (trust auth).
import { execFileSync } from "node:child_process";
import { onExit } from "./service.mjs";
import { processCpuSeconds } from "./timing.mjs";

export const POSTGRES_URL = process.env.GANTRY_BENCH_POSTGRES ?? "postgres://postgres@127.0.0.1:5432";

/** The URL of database `name` on the bench's server. */
export function databaseUrl(name) {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function pgModule() {
  return (await import("pg")).default;
}

/** A client on the `postgres` maintenance database: neither creating nor sampling counts in the bench's. */
export async function adminClient() {
  const pg = await pgModule();
  const client = new pg.Client({ connectionString: databaseUrl("postgres"), connectionTimeoutMillis: 5_000 });
  await client.connect();
  return client;
}

/** Null when the server answers, else why not (the Postgres rows are then skipped, not failed). */
export async function postgresUnavailable() {
  try {
    const client = await adminClient();
    await client.end();
    return null;
  } catch (error) {
    return error.code ?? error.message;
  }
}

const quote = (name) => `"${name.replaceAll('"', '""')}"`;

/**
 * Creates `gantry_bench_<pid>_<tag>` and resolves with `{name, url, drop()}`. Should the bench die
 * first, the exit handler drops it with psql (synchronously, as exit handlers must).
 */
export async function createDatabase(tag) {
  const name = `gantry_bench_${process.pid}_${tag.replace(/[^a-z0-9_]/gi, "_")}`.toLowerCase();
  const client = await adminClient();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${quote(name)}`);
  } finally {
    await client.end();
  }
  const unregister = onExit(() => {
    execFileSync(
      "psql",
      [databaseUrl("postgres"), "-qc", `DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`],
      {
        stdio: "ignore",
        timeout: 10_000,
      },
    );
  });
  return {
    name,
    url: databaseUrl(name),
    async drop() {
      const admin = await adminClient();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
      unregister();
    },
  };
}

/**
 * Transactions (commits + rollbacks) of database `name` so far, from pg_stat_database, asked through
 * `client` (connected to another database, so the question itself is not counted).
 */
export async function transactionCount(client, name) {
  // Statistics are cached per transaction; each query here is its own, so each sees fresh numbers.
  const { rows } = await client.query(
    "select xact_commit + xact_rollback as n from pg_stat_database where datname = $1",
    [name],
  );
  if (rows.length === 0) throw new Error(`pg_stat_database has no row for ${name}`);
  return Number(rows[0].n);
}

/**
 * CPU seconds the server processes of database `name` used so far (from /proc, on this machine),
 * by backend pid: what one run costs Postgres, which the transaction count alone does not say.
 * Null without /proc.
 */
export async function backendCpuSeconds(client, name) {
  const { rows } = await client.query("select pid from pg_stat_activity where datname = $1", [name]);
  const byPid = new Map();
  for (const { pid } of rows) {
    const cpu = processCpuSeconds(pid);
    if (cpu === null) return null;
    byPid.set(pid, cpu.self);
  }
  return byPid;
}

/** The CPU seconds between two backendCpuSeconds samples (a backend that started meanwhile counts whole). */
export function backendCpuBetween(before, after) {
  if (!before || !after) return Number.NaN;
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}
