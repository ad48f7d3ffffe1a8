import type BetterSqlite3 from "better-sqlite3";
import { Kysely, type Migration, Migrator, PostgresDialect, SqliteDialect, sql } from "kysely";
import type pg from "pg";
import type { Dialect } from "./dialect.js";
import * as initial from "./migrations/0001-initial.js";
import * as logs from "./migrations/0002-logs.js";
import * as schedules from "./migrations/0003-schedules.js";
import * as sources from "./migrations/0004-sources.js";
import * as auth from "./migrations/0005-auth.js";
import * as triggers from "./migrations/0006-triggers.js";
import * as runTriggerType from "./migrations/0007-run-trigger-type.js";
import * as encryptionKeys from "./migrations/0008-encryption-keys.js";
import * as ciResults from "./migrations/0011-ci-results.js";
import * as people from "./migrations/0013-people.js";
import * as triggerNotes from "./migrations/0014-trigger-notes.js";
import * as childRuns from "./migrations/0015-child-runs.js";
import * as runMasks from "./migrations/0017-run-masks.js";
import * as runSteps from "./migrations/0018-run-steps.js";
import * as agents from "./migrations/0021-agents.js";
import { nameStatements, StatementNames } from "./named-statements.js";
import type { Tables } from "./tables.js";

export type { Dialect } from "./dialect.js";

export interface Database {
  db: Kysely<Tables>;
  dialect: Dialect;
  /** The connection string for Postgres, for LISTEN connections; undefined for SQLite. */
  url?: string;
  /** The Postgres pool, for NOTIFY; undefined for SQLite. */
  pool?: pg.Pool;
  close(): Promise<void>;
}

const MIGRATIONS: Record<string, (dialect: Dialect) => Migration> = {
  "0001-initial": (dialect) => ({ up: (db) => initial.up(db, dialect) }),
  "0002-logs": (dialect) => ({ up: (db) => logs.up(db, dialect) }),
  "0003-schedules": (dialect) => ({ up: (db) => schedules.up(db, dialect) }),
  "0004-sources": (dialect) => ({ up: (db) => sources.up(db, dialect) }),
  "0005-auth": (dialect) => ({ up: (db) => auth.up(db, dialect) }),
  "0006-triggers": (dialect) => ({ up: (db) => triggers.up(db, dialect) }),
  "0007-run-trigger-type": (dialect) => ({ up: (db) => runTriggerType.up(db, dialect) }),
  "0008-encryption-keys": (dialect) => ({ up: (db) => encryptionKeys.up(db, dialect) }),
  "0011-ci-results": (dialect) => ({ up: (db) => ciResults.up(db, dialect) }),
  "0013-people": (dialect) => ({ up: (db) => people.up(db, dialect) }),
  "0014-trigger-notes": (dialect) => ({ up: (db) => triggerNotes.up(db, dialect) }),
  "0015-child-runs": (dialect) => ({ up: (db) => childRuns.up(db, dialect) }),
  "0017-run-masks": (dialect) => ({ up: (db) => runMasks.up(db, dialect) }),
  "0018-run-steps": (dialect) => ({ up: (db) => runSteps.up(db, dialect) }),
  "0021-agents": (dialect) => ({ up: (db) => agents.up(db, dialect) }),
};

/**
 * Opens the store: `postgres://…` for PostgreSQL, anything else is a SQLite file path (`:memory:` too).
 * The client libraries are loaded here, lazily, so `gantry run` never pays for them.
 */
export async function openDatabase(location: string, options: { poolSize?: number } = {}): Promise<Database> {
  if (/^postgres(ql)?:\/\//.test(location)) {
    const pg = (await import("pg")).default;
    // bigint columns hold ms timestamps, well inside Number's exact range: read them as numbers.
    pg.types.setTypeParser(20, (v: string) => Number(v));
    const pool = new pg.Pool({
      connectionString: location,
      max: options.poolSize ?? 10,
      // A database that does not answer fails a query in 10 s instead of hanging it (and a heartbeat).
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
    });
    // A dropped connection must not crash the process; the pool replaces it on next use. The pool
    // listens for errors only on idle clients: a client checked out (inside a transaction, between two
    // statements) that the server terminates (57P01, a restart) emits 'error' with no listener, which
    // ends the process. Each client gets its own listener for its whole life.
    pool.on("error", () => {});
    const names = process.env.GANTRY_PG_NAMED_STATEMENTS === "0" ? undefined : new StatementNames();
    pool.on("connect", (client) => {
      client.on("error", () => {});
      if (names) nameStatements(client, names);
    });
    const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: "postgres", url: location, pool, close: () => db.destroy() };
  }
  const SQLite = (await import("better-sqlite3")).default;
  const sqlite = new SQLite(location);
  sqlite.pragma("journal_mode = WAL");
  // WAL with NORMAL sync loses at most the last transactions on power loss, never consistency.
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 5000");
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: "sqlite", close: () => db.destroy() };
}

/** Most statements Gantry runs come from a few dozen query shapes; more than this means unbounded SQL. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every statement anew, which better-sqlite3 makes cost about 5 ms a step in a run
 * (measured in bench/: 40 light tasks through the API). Statements are reusable and execution is
 * synchronous, so one prepared statement per SQL text serves every call.
 */
function withStatementCache(sqlite: BetterSqlite3.Database): BetterSqlite3.Database {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepare = (source: string) => {
    let statement = statements.get(source);
    if (!statement) {
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
      statement = sqlite.prepare(source);
      statements.set(source, statement);
    }
    return statement;
  };
  return new Proxy(sqlite, {
    get(target, property) {
      if (property === "prepare") return prepare;
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function migratorFor(database: Database): Migrator {
  return new Migrator({
    db: database.db,
    provider: {
      getMigrations: async () =>
        Object.fromEntries(Object.entries(MIGRATIONS).map(([name, make]) => [name, make(database.dialect)])),
    },
  });
}

/**
 * Brings the schema up to date. Safe to run from several processes at once on Postgres (Kysely locks).
 * Returns the names of the migrations this call applied.
 */
export async function migrate(database: Database): Promise<string[]> {
  const { error, results } = await migratorFor(database).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    // No failed migration: the database could not be reached or locked at all.
    throw new Error(
      failed ? `database migration ${failed} failed: ${(error as Error).message}` : (error as Error).message,
    );
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

export interface SchemaStatus {
  /** Migrations this version knows that the database has. */
  applied: string[];
  /** Migrations this version needs that the database lacks. */
  pending: string[];
  /** Migrations the database has that this version does not know: a newer version migrated it. */
  newer: string[];
}

/** Where the database's schema stands against this version's migrations; changes nothing. */
export async function schemaStatus(database: Database): Promise<SchemaStatus> {
  const known = await migratorFor(database).getMigrations();
  const names = new Set(known.map((m) => m.name));
  const applied = known.filter((m) => m.executedAt !== undefined).map((m) => m.name);
  const executed =
    applied.length > 0
      ? ((await sql`select name from kysely_migration`.execute(database.db)).rows as Array<{ name: string }>)
      : [];
  return {
    applied,
    pending: known.filter((m) => m.executedAt === undefined).map((m) => m.name),
    newer: executed.map((r) => r.name).filter((name) => !names.has(name)),
  };
}

/** Why a process still waits for the schema: migrations it needs, or the database not answering. */
export type SchemaWait = { pending: string[]; at: string | undefined } | { error: string; code?: string };

/**
 * Waits until the database has every migration this version needs, without migrating it: servers and
 * workers leave that to `gantry migrate` (a deployment's migration job), so a rolling upgrade never
 * migrates from inside whichever pod starts first. `onWait` hears why it waits once, and again each time
 * that changes or `repeatMs` passes.
 */
export async function waitForSchema(
  database: Database,
  options: {
    onWait: (wait: SchemaWait) => void;
    intervalMs?: number;
    repeatMs?: number;
    signal?: AbortSignal;
  },
): Promise<SchemaStatus> {
  const intervalMs = options.intervalMs ?? 2_000;
  const repeatMs = options.repeatMs ?? 60_000;
  let said = "";
  let saidAt = 0;
  for (;;) {
    let wait: SchemaWait;
    try {
      const status = await schemaStatus(database);
      if (status.pending.length === 0) return status;
      wait = { pending: status.pending, at: status.applied.at(-1) };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      wait = { error: (error as Error).message, ...(typeof code === "string" ? { code } : {}) };
    }
    const key = JSON.stringify(wait);
    if (key !== said || Date.now() - saidAt >= repeatMs) {
      options.onWait(wait);
      said = key;
      saidAt = Date.now();
    }
    if (options.signal?.aborted) throw new Error("stopped while waiting for the database schema");
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, intervalMs);
      options.signal?.addEventListener("abort", done, { once: true });
    });
  }
}
