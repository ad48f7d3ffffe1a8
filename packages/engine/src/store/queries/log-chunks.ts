import { type Selectable, sql } from "kysely";
import type { LogChunksTable } from "../tables.js";
import type { Db } from "./types.js";

export type LogChunkRow = Selectable<LogChunksTable>;

/**
 * Appends batches of one run's lines (one chunk each) and gives them offsets from the run's counter, in
 * order; returns the first. The counter's row lock is held until the transaction commits, so batches
 * become visible in offset order: a follower reading "after N" never misses a batch that commits later
 * with smaller offsets.
 */
export async function appendLogChunks(
  db: Db,
  chunks: Array<Omit<LogChunkRow, "first_offset">>,
): Promise<number> {
  const runId = chunks[0]?.run_id;
  if (runId === undefined) throw new Error("no chunk to append");
  if (chunks.some((c) => c.run_id !== runId)) throw new Error("chunks of several runs in one append");
  const lines = chunks.reduce((n, c) => n + c.line_count, 0);
  const row = await db
    .updateTable("runs")
    .set((eb) => ({ log_seq: eb("log_seq", "+", lines) }))
    .where("id", "=", runId)
    .returning("log_seq")
    .executeTakeFirst();
  if (!row) throw new Error(`run ${runId} does not exist`);
  const first = Number(row.log_seq) - lines;
  let next = first;
  const rows = chunks.map((chunk) => {
    const offset = next;
    next += chunk.line_count;
    return { ...chunk, first_offset: offset };
  });
  await db.insertInto("log_chunks").values(rows).execute();
  return first;
}

/**
 * Postgres: appendLogChunks as one statement that also announces the lines (`pg_notify` on `channel`
 * with the run's id, delivered as it commits), for a writer outside any transaction. The counter's
 * update and the inserts commit together, with the counter's row locked until then, as in
 * appendLogChunks; a transaction of its own and the announcement after it cost four round trips more
 * per batch, each a wait for a connection and a scheduler turn on a busy machine (bench/: load).
 */
export async function appendLogChunksNotifying(
  db: Db,
  chunks: Array<Omit<LogChunkRow, "first_offset">>,
  channel: string,
): Promise<void> {
  const runId = chunks[0]?.run_id;
  if (runId === undefined) throw new Error("no chunk to append");
  if (chunks.some((c) => c.run_id !== runId)) throw new Error("chunks of several runs in one append");
  const lines = chunks.reduce((n, c) => n + c.line_count, 0);
  // Each chunk's offset from the start of the append: the counter's new value, less the lines, plus it.
  let before = 0;
  const rows = chunks.map((c) => {
    const row = sql`(${c.step}, ${c.item_index}::int, ${c.attempt}::int, ${before}::bigint, ${c.line_count}::int, ${c.lines_json}, ${c.created_at}::bigint)`;
    before += c.line_count;
    return row;
  });
  const { rows: found } = await sql<{ appended: number }>`
    with seq as (
      update runs set log_seq = log_seq + ${lines}::bigint where id = ${runId} returning log_seq
    ), inserted as (
      insert into log_chunks (run_id, first_offset, step, item_index, attempt, line_count, lines_json, created_at)
      select ${runId}, seq.log_seq - ${lines}::bigint + c.start, c.step, c.item_index, c.attempt, c.line_count,
        c.lines_json, c.created_at
      from seq, (values ${sql.join(rows)}) as c(step, item_index, attempt, start, line_count, lines_json, created_at)
      returning 1
    )
    select count(*)::int as appended, pg_notify(${channel}, ${runId}) from inserted
  `.execute(db);
  if (Number(found[0]?.appended ?? 0) === 0) throw new Error(`run ${runId} does not exist`);
}

/**
 * Live chunks of a run ending after `after`, in offset order. `startingAfter` (a chunk's first_offset)
 * and `limit` page through them: a page is at most `limit` chunks of at most 64 KiB each.
 */
export async function readLogChunks(
  db: Db,
  runId: string,
  options: { after?: number; step?: string; startingAfter?: number; limit?: number } = {},
): Promise<LogChunkRow[]> {
  let query = db.selectFrom("log_chunks").selectAll().where("run_id", "=", runId);
  if (options.after !== undefined) {
    const after = options.after;
    // Chunks of a run hold disjoint offset ranges, so every line after `after` is in the chunk holding
    // `after + 1` or a later one. Finding that chunk is one step down the primary key; without this
    // bound the condition below was evaluated on every chunk of the run, reading each one's text: a
    // follower's read of the newest lines of a 50 MB log read all 50 MB, at every notification.
    // The step is a subquery, computed once before the scan (a round trip of its own before). With no
    // chunk starting at or before `after + 1`, every chunk starts after it.
    const floor = db
      .selectFrom("log_chunks")
      .select("first_offset")
      .where("run_id", "=", runId)
      .where("first_offset", "<=", after + 1)
      .orderBy("first_offset", "desc")
      .limit(1);
    query = query.where("first_offset", ">=", (eb) => eb.fn.coalesce(floor, eb.val(after + 1)));
    query = query.where((eb) => eb(eb("first_offset", "+", eb.ref("line_count")), ">", after + 1));
  }
  // A range on the primary key (run_id, first_offset): each page costs its own rows, not the ones before.
  if (options.startingAfter !== undefined) query = query.where("first_offset", ">", options.startingAfter);
  if (options.step !== undefined) query = query.where("step", "=", options.step);
  query = query.orderBy("first_offset");
  if (options.limit !== undefined) query = query.limit(options.limit);
  return query.execute();
}

/**
 * The last chunks of a run (at least `lines` lines of them, when there are), newest first: what a
 * tail of the live log needs, without reading the rest.
 */
export async function lastLogChunks(
  db: Db,
  runId: string,
  options: { lines: number; step?: string },
): Promise<LogChunkRow[]> {
  const out: LogChunkRow[] = [];
  let count = 0;
  let before: number | undefined;
  while (count < options.lines) {
    let query = db.selectFrom("log_chunks").selectAll().where("run_id", "=", runId);
    if (before !== undefined) query = query.where("first_offset", "<", before);
    if (options.step !== undefined) query = query.where("step", "=", options.step);
    const page = await query.orderBy("first_offset", "desc").limit(16).execute();
    for (const chunk of page) {
      out.push(chunk);
      count += chunk.line_count;
      if (count >= options.lines) break;
    }
    if (page.length < 16) break;
    before = Number(page.at(-1)?.first_offset);
  }
  return out;
}

export interface TaskKey {
  run_id: string;
  step: string;
  item_index: number;
  attempt: number;
}

/**
 * The live chunks of one step attempt, to archive them; `startingAfter` (a chunk's first_offset) and
 * `limit` page through them, so a 200 MB log is never read at once.
 */
export async function taskLogChunks(
  db: Db,
  key: TaskKey,
  page: { startingAfter?: number; limit?: number } = {},
): Promise<LogChunkRow[]> {
  let query = db
    .selectFrom("log_chunks")
    .selectAll()
    .where("run_id", "=", key.run_id)
    .where("step", "=", key.step)
    .where("item_index", "=", key.item_index)
    .where("attempt", "=", key.attempt);
  if (page.startingAfter !== undefined) query = query.where("first_offset", ">", page.startingAfter);
  query = query.orderBy("first_offset");
  if (page.limit !== undefined) query = query.limit(page.limit);
  return query.execute();
}

export async function deleteTaskLogChunks(db: Db, key: TaskKey): Promise<void> {
  await db
    .deleteFrom("log_chunks")
    .where("run_id", "=", key.run_id)
    .where("step", "=", key.step)
    .where("item_index", "=", key.item_index)
    .where("attempt", "=", key.attempt)
    .execute();
}
