import type BetterSqlite3 from "better-sqlite3";
import { Kysely, type Migration, Migrator, PostgresDialect, SqliteDialect } from "kysely";
import type pg from "pg";
import * as initial from "./migrations/0001-initial.js";
import * as logs from "./migrations/0002-logs.js";
import * as schedules from "./migrations/0003-schedules.js";
import * as sources from "./migrations/0004-sources.js";
import * as auth from "./migrations/0005-auth.js";
import * as triggers from "./migrations/0006-triggers.js";
import * as runTriggerType from "./migrations/0007-run-trigger-type.js";
import type { Tables } from "./tables.js";

export type Dialect = "sqlite" | "postgres";

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
    const pool = new pg.Pool({ connectionString: location, max: options.poolSize ?? 10 });
    // A dropped connection must not crash the process; the pool replaces it on next use.
    pool.on("error", () => {});
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

/** Brings the schema up to date. Safe to run from several processes at once on Postgres (Kysely locks). */
export async function migrate(database: Database): Promise<void> {
  const migrator = new Migrator({
    db: database.db,
    provider: {
      getMigrations: async () =>
        Object.fromEntries(Object.entries(MIGRATIONS).map(([name, make]) => [name, make(database.dialect)])),
    },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    // No failed migration: the database could not be reached or locked at all.
    throw new Error(
      failed ? `database migration ${failed} failed: ${(error as Error).message}` : (error as Error).message,
    );
  }
}
