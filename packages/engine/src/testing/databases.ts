import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { type Database, migrate, openDatabase } from "../store/database.js";

/**
 * Databases for tests. SQLite: a migrated file in a fresh temporary folder. PostgreSQL: following
 * graphile-worker's habit, one migrated TEMPLATE database per process, and each caller's own database
 * cloned from it with `CREATE DATABASE … TEMPLATE …` (a file copy, much cheaper than migrating), dropped
 * again by `close()`. Postgres tests never skip: an unreachable server is an error that says what to do.
 */

const DEFAULT_PG_URL = "postgres://root@127.0.0.1:5432/postgres";
const START_HINT = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";
/** Names this helper makes; the number is the creation time in ms, so leftovers can be told by age. */
const NAME_PREFIX = "gantry_test_";
const LEFTOVER_AGE_MS = 6 * 60 * 60 * 1000;

/** A migrated SQLite database in a temporary file; `close()` also removes the file. */
export async function sqliteDatabase(): Promise<Database> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gantry-sqlite-"));
  const database = await openDatabase(path.join(dir, "gantry.db"));
  try {
    await migrate(database);
  } catch (error) {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...database,
    close: async () => {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The server's URL for administrative statements (CREATE/DROP DATABASE). */
export function postgresBaseUrl(): string {
  return process.env.GANTRY_TEST_PG_URL || DEFAULT_PG_URL;
}

/** The same server, another database. */
export function postgresUrlFor(database: string, base = postgresBaseUrl()): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs statements on the base database over a short-lived connection (not on a test's own database). */
export async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const base = postgresBaseUrl();
  const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 5000 });
  // An idle client whose server went away emits 'error'; without a listener that would crash the run.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    const where = new URL(base);
    where.password = "";
    throw new Error(
      `PostgreSQL is not reachable at ${where.toString()} (${(error as Error).message}): start it with ` +
        `\`${START_HINT}\`, or point GANTRY_TEST_PG_URL at a server where this role may create databases`,
    );
  }
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => {});
  }
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
let counter = 0;
const uniqueName = (kind: string) => `${NAME_PREFIX}${kind}${process.pid}_${Date.now()}_${counter++}`;

/**
 * CREATE DATABASE fails with "source database … is being accessed by other users" when another session
 * is connected to the source at that instant (another process cloning template1 at the same moment):
 * retry a few times before giving up.
 */
async function createDatabase(client: pg.Client, name: string, template: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query(`CREATE DATABASE ${quote(name)} TEMPLATE ${quote(template)}`);
      return;
    } catch (error) {
      if (attempt >= 10 || !/being accessed by other users/.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** Drops this helper's databases that a crashed test process left behind hours ago. */
async function dropLeftovers(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ datname: string }>(
    "select datname from pg_database where datname like $1",
    [`${NAME_PREFIX}%`],
  );
  const now = Date.now();
  for (const { datname } of rows) {
    const created = Number(/_(\d{13})_\d+$/.exec(datname)?.[1]);
    if (!Number.isFinite(created) || now - created < LEFTOVER_AGE_MS) continue;
    // A template cannot be dropped until it is an ordinary database again.
    await client.query(`ALTER DATABASE ${quote(datname)} WITH IS_TEMPLATE false`).catch(() => {});
    await client.query(`DROP DATABASE IF EXISTS ${quote(datname)} WITH (FORCE)`).catch(() => {});
  }
}

let template: Promise<string> | undefined;
let templateUsers = 0;

/** The process's migrated template database, made on first use. */
function ensureTemplate(): Promise<string> {
  template ??= (async () => {
    const name = uniqueName("template_");
    await admin(async (client) => {
      await dropLeftovers(client);
      await createDatabase(client, name, "template1");
    });
    const database = await openDatabase(postgresUrlFor(name), { poolSize: 1 });
    try {
      await migrate(database);
    } finally {
      // A template must have no connections when it is cloned.
      await database.close();
    }
    await admin((client) =>
      client.query(`ALTER DATABASE ${quote(name)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`),
    );
    return name;
  })();
  template.catch(() => {
    template = undefined;
  });
  return template;
}

/**
 * Drops the template once no clone of it is open: a test process may end at any time after its last
 * file, and a template left behind would only be cleaned up hours later.
 */
async function releaseTemplate(): Promise<void> {
  templateUsers -= 1;
  if (templateUsers > 0 || !template) return;
  // Forget it before awaiting, so a caller arriving meanwhile makes a new one instead of cloning this.
  const current = template;
  template = undefined;
  const name = await current.catch(() => undefined);
  if (!name) return;
  await admin(async (client) => {
    await client.query(`ALTER DATABASE ${quote(name)} WITH IS_TEMPLATE false`);
    await client.query(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`);
  });
}

/**
 * A migrated PostgreSQL database of its own, cloned from the template; `close()` drops it. With
 * `empty: true`, a database with no tables at all (cloned from template1), for testing migrations.
 */
export async function postgresDatabase(
  options: { poolSize?: number; empty?: boolean } = {},
): Promise<Database> {
  templateUsers += 1;
  let name: string;
  try {
    const source = options.empty ? "template1" : await ensureTemplate();
    name = uniqueName("");
    await admin((client) => createDatabase(client, name, source));
  } catch (error) {
    await releaseTemplate().catch(() => {});
    throw error;
  }
  const database = await openDatabase(postgresUrlFor(name), { poolSize: options.poolSize ?? 10 });
  let closed = false;
  return {
    ...database,
    close: async () => {
      if (closed) return;
      closed = true;
      await database.close();
      // FORCE: a LISTEN connection a failed test forgot to close must not keep the database alive.
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`));
      await releaseTemplate();
    },
  };
}
