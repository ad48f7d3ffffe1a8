import type { Db } from "./types.js";

/** How far a run has come, for its log followers: its status and how many lines it has stored. */
export interface RunProgress {
  id: string;
  status: string;
  /** Lines stored so far: the last one's offset is `lines - 1`. */
  lines: number;
}

/**
 * The progress of several runs in one read of their rows by primary key (no state document, no log
 * text): the server's log followers look at every followed run at once, instead of one run's whole row
 * and log chunks each.
 */
export async function runsProgress(db: Db, ids: readonly string[]): Promise<RunProgress[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom("runs")
    .select(["id", "status", "log_seq"])
    .where("id", "in", [...ids])
    .execute();
  return rows.map((r) => ({ id: r.id, status: r.status, lines: Number(r.log_seq) }));
}
