import { Kysely, type Migration, Migrator, PostgresDialect, SqliteDialect } from "kysely";
import type pg from "pg";
import * as initial from "./migrations/0001-initial.js";
import * as logs from "./migrations/0002-logs.js";
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
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, dialect: "sqlite", close: () => db.destroy() };
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
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`database migration ${failed} failed: ${(error as Error).message}`);
  }
}
