import type { Selectable } from "kysely";
import type { LogChunksTable } from "../tables.js";
import type { Db } from "./types.js";

export type LogChunkRow = Selectable<LogChunksTable>;

/**
 * Appends a batch of lines and gives it offsets from the run's counter. The counter's row lock is held
 * until the transaction commits, so batches become visible in offset order: a follower reading "after
 * N" never misses a batch that commits later with smaller offsets.
 */
export async function appendLogChunk(db: Db, chunk: Omit<LogChunkRow, "first_offset">): Promise<number> {
  const row = await db
    .updateTable("runs")
    .set((eb) => ({ log_seq: eb("log_seq", "+", chunk.line_count) }))
    .where("id", "=", chunk.run_id)
    .returning("log_seq")
    .executeTakeFirst();
  if (!row) throw new Error(`run ${chunk.run_id} does not exist`);
  const first = Number(row.log_seq) - chunk.line_count;
  await db
    .insertInto("log_chunks")
    .values({ ...chunk, first_offset: first })
    .execute();
  return first;
}

/** Live chunks of a run ending after `after`, in offset order. */
export async function readLogChunks(
  db: Db,
  runId: string,
  options: { after?: number; step?: string } = {},
): Promise<LogChunkRow[]> {
  let query = db.selectFrom("log_chunks").selectAll().where("run_id", "=", runId);
  if (options.after !== undefined) {
    const after = options.after;
    query = query.where((eb) => eb(eb("first_offset", "+", eb.ref("line_count")), ">", after + 1));
  }
  if (options.step !== undefined) query = query.where("step", "=", options.step);
  return query.orderBy("first_offset").execute();
}

export interface TaskKey {
  run_id: string;
  step: string;
  item_index: number;
  attempt: number;
}

/** The live chunks of one step attempt, to archive them. */
export async function taskLogChunks(db: Db, key: TaskKey): Promise<LogChunkRow[]> {
  return db
    .selectFrom("log_chunks")
    .selectAll()
    .where("run_id", "=", key.run_id)
    .where("step", "=", key.step)
    .where("item_index", "=", key.item_index)
    .where("attempt", "=", key.attempt)
    .orderBy("first_offset")
    .execute();
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
