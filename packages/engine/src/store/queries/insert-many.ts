import { type RawBuilder, sql } from "kysely";
import type { Dialect } from "../database.js";
import type { Db } from "./types.js";

/** Rows per INSERT on SQLite: a run has about 25 columns, so 400 stay far below its 32766 parameters. */
const SQLITE_ROWS_PER_STATEMENT = 400;

/** Rows for one table. Every row must carry the same columns: one a row lacks is NULL, not its default. */
export interface TableRows {
  table: string;
  rows: ReadonlyArray<Record<string, unknown>>;
}

/**
 * Inserts many rows into one or more tables in the caller's transaction (the scheduler's batches of
 * fires: their runs, jobs and records).
 *
 * On Postgres it is one statement whatever the count: each table's rows travel as one JSON parameter
 * that `json_populate_recordset` turns into rows of the table's own column types, and the tables after
 * the first are written by data-modifying WITH clauses. A multi-row VALUES of 200 runs instead has 5,000
 * parameters for Kysely to compile, pg to bind and Postgres to parse and plan, and each table costs a
 * round trip (bench/: scheduler, 10,000 fires at once). SQLite takes multi-row VALUES, which cost it
 * no round trip.
 */
export async function insertMany(db: Db, dialect: Dialect, ...inserts: TableRows[]): Promise<void> {
  const present = inserts.filter((i) => i.rows.length > 0);
  if (dialect === "postgres") {
    const statements = present.map(fromJson);
    const last = statements.pop();
    if (!last) return;
    const withs = statements.map((s, i) => sql`${sql.raw(`i${i}`)} as (${s})`);
    await (withs.length > 0 ? sql`with ${sql.join(withs)} ${last}` : last).execute(db);
    return;
  }
  for (const { table, rows } of present) {
    const columns = Object.keys(rows[0] as Record<string, unknown>);
    for (let i = 0; i < rows.length; i += SQLITE_ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + SQLITE_ROWS_PER_STATEMENT);
      const values = sql.join(chunk.map((row) => sql`(${sql.join(columns.map((c) => row[c]))})`));
      await sql`insert into ${sql.table(table)} (${columnList(columns)}) values ${values}`.execute(db);
    }
  }
}

/**
 * Postgres: insertMany's rows in one statement that also sends a notification on each of `channels`
 * (`pg_notify`, delivered as it commits), for a caller outside any transaction: the one statement is
 * atomic, and wakes the workers without a round trip of its own.
 */
export async function insertManyNotifying(db: Db, inserts: TableRows[], channels: string[]): Promise<void> {
  const present = inserts.filter((i) => i.rows.length > 0);
  const withs = present.map((insert, i) => sql`${sql.raw(`i${i}`)} as (${fromJson(insert)})`);
  const notify = channels.map((channel) => sql`pg_notify(${channel}, '')`);
  const select = sql`select ${notify.length > 0 ? sql.join(notify) : sql`1`}`;
  await (withs.length > 0 ? sql`with ${sql.join(withs)} ${select}` : select).execute(db);
}

function fromJson({ table, rows }: TableRows): RawBuilder<unknown> {
  const columns = columnList(Object.keys(rows[0] as Record<string, unknown>));
  return sql`insert into ${sql.table(table)} (${columns})
    select ${columns} from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::json)`;
}

const columnList = (columns: string[]) => sql.join(columns.map((c) => sql.ref(c)));
