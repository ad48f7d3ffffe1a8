import { type LogStream, PackedLinesBuilder } from "@gantry/core";
import type { Selectable } from "kysely";
import type { JobsTable } from "../tables.js";
import { appendLogChunks, type TaskKey } from "./log-chunks.js";
import type { Db } from "./types.js";

/** A job by its id, or undefined once it is gone (finished, or dropped with its run). */
export async function jobById(db: Db, id: number): Promise<Selectable<JobsTable> | undefined> {
  return db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
}

/** One line of a step's log as an agent sends it: stream, epoch ms, text. */
export type AgentLogLine = [LogStream, number, string];

/** A chunk holds at most this much text, as the worker's own log writer batches it. */
const CHUNK_CHARS = 64 * 1024;

/**
 * Stores lines of a leased job's log that an agent sent, exactly once: the lines it sent before (a
 * batch resent after a lost answer) are skipped by their numbers, in the transaction that counts them.
 * `from` is the attempt's line number (from 0, counted by the agent) of the first line. Returns how many
 * lines the server holds now; `gap` is set, and nothing stored, when the batch starts past them (an
 * earlier batch never arrived): the agent resends from `lines`.
 */
export async function appendAgentLog(
  db: Db,
  job: { id: number; workerId: string; key: TaskKey },
  from: number,
  lines: AgentLogLine[],
  now: number,
): Promise<{ lines: number; gap: boolean }> {
  return db.transaction().execute(async (tx) => {
    const mark = await tx
      .selectFrom("agent_log_marks")
      .select("lines")
      .where("job_id", "=", job.id)
      .where("worker_id", "=", job.workerId)
      .executeTakeFirst();
    const held = Number(mark?.lines ?? 0);
    if (from > held) return { lines: held, gap: true };
    const fresh = lines.slice(held - from);
    if (fresh.length === 0) return { lines: held, gap: false };
    await appendLogChunks(
      tx,
      chunksOf(fresh, now).map((c) => ({ ...job.key, ...c })),
    );
    const total = held + fresh.length;
    if (mark)
      await tx
        .updateTable("agent_log_marks")
        .set({ lines: total, updated_at: now })
        .where("job_id", "=", job.id)
        .where("worker_id", "=", job.workerId)
        .execute();
    else
      await tx
        .insertInto("agent_log_marks")
        .values({ job_id: job.id, worker_id: job.workerId, lines: total, updated_at: now })
        .execute();
    return { lines: total, gap: false };
  });
}

function chunksOf(lines: AgentLogLine[], now: number) {
  const chunks: Array<{ line_count: number; lines_json: string; created_at: number }> = [];
  let builder = new PackedLinesBuilder();
  let chars = 0;
  const flush = () => {
    if (builder.length === 0) return;
    chunks.push({ line_count: builder.length, lines_json: builder.encode(), created_at: now });
    builder = new PackedLinesBuilder();
    chars = 0;
  };
  for (const [stream, ts, text] of lines) {
    builder.add(stream, ts, text);
    chars += text.length + 16;
    if (chars >= CHUNK_CHARS) flush();
  }
  flush();
  return chunks;
}

/** Forgets the marks of a job that ended: its log is complete. */
export async function deleteAgentLogMarks(db: Db, jobId: number): Promise<void> {
  await db.deleteFrom("agent_log_marks").where("job_id", "=", jobId).execute();
}
