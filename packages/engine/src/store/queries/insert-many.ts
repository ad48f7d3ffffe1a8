import { CompiledQuery, type RawBuilder, sql } from "kysely";
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
    const statements = present.map((insert) => fromJson(insert));
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
 *
 * With `guard` (workflows and the revisions the rows were made for), nothing is written and nobody is
 * woken unless every one of those workflows still has that revision in the statement's snapshot; the
 * answer gives the guards that failed (empty when the rows went in).
 */
export async function insertManyNotifying(
  db: Db,
  inserts: TableRows[],
  channels: string[],
  guard: ReadonlyArray<{ workflow: string; revision: string }> = [],
): Promise<{ stale: Array<{ workflow: string; revision: string }> }> {
  const present = inserts.filter((i) => i.rows.length > 0);
  const guarded = guard.length > 0;
  const columns = present.map((i) => Object.keys(i.rows[0] as Record<string, unknown>));
  const text = notifyingText(
    present.map((i, n) => ({ table: i.table, columns: columns[n] as string[] })),
    channels.length,
    guarded,
  );
  const parameters = [
    ...(guarded ? [JSON.stringify(guard)] : []),
    ...present.map((i) => JSON.stringify(i.rows)),
    ...channels,
  ];
  const { rows } = await db.executeQuery<{ stale: Array<{ workflow: string; revision: string }> | null }>(
    CompiledQuery.raw(text, parameters),
  );
  return { stale: rows[0]?.stale ?? [] };
}

/**
 * insertManyNotifying's SQL, made once per shape (tables, columns, channels, guard) and kept: the API
 * sends it for every group of runs it starts, and building it with Kysely's builder and compiler each
 * time was a tenth of the server's CPU per run (bench/: throughput, profiled). Its parameters: the
 * guard's JSON (when guarded), each table's rows as JSON, then the channels.
 */
function notifyingText(
  tables: Array<{ table: string; columns: string[] }>,
  channels: number,
  guarded: boolean,
) {
  const shape = JSON.stringify([tables, channels, guarded]);
  const known = TEXTS.get(shape);
  if (known) return known;
  let n = 0;
  const withs: string[] = [];
  if (guarded)
    withs.push(
      `stale as (select g.workflow, g.revision from json_to_recordset($${++n}::json) as g(workflow text, revision text) ` +
        "where not exists (select 1 from workflows w where w.name = g.workflow and w.revision = g.revision))",
    );
  for (const [i, { table, columns }] of tables.entries()) {
    const list = columns.map(quoteIdentifier).join(", ");
    const name = quoteIdentifier(table);
    withs.push(
      `i${i} as (insert into ${name} (${list}) select ${list} from json_populate_recordset(null::${name}, $${++n}::json)` +
        `${guarded ? " where not exists (select 1 from stale)" : ""})`,
    );
  }
  const notify = Array.from({ length: channels }, () =>
    guarded
      ? `(select pg_notify($${++n}, '') where not exists (select 1 from stale))`
      : `pg_notify($${++n}, '')`,
  );
  const stale = guarded
    ? "(select json_agg(json_build_object('workflow', workflow, 'revision', revision)) from stale)"
    : "null";
  const select = `select ${stale} as stale${notify.map((x) => `, ${x}`).join("")}`;
  const text = withs.length > 0 ? `with ${withs.join(", ")} ${select}` : select;
  // Shapes are few (the tables of a run's creation, with or without each); the bound is a safeguard.
  if (TEXTS.size >= 100) TEXTS.clear();
  TEXTS.set(shape, text);
  return text;
}

const TEXTS = new Map<string, string>();

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Postgres: an INSERT of `rows` travelling as one JSON parameter, turned into rows of the table's own
 * column types; with `where`, it inserts nothing unless that holds.
 */
export function fromJson({ table, rows }: TableRows, where?: RawBuilder<unknown>): RawBuilder<unknown> {
  const columns = columnList(Object.keys(rows[0] as Record<string, unknown>));
  return sql`insert into ${sql.table(table)} (${columns})
    select ${columns} from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::json)${
      where ? sql` where ${where}` : sql``
    }`;
}

const columnList = (columns: string[]) => sql.join(columns.map((c) => sql.ref(c)));
