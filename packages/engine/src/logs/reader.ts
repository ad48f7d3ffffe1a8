import { listLogArchives } from "../store/queries/log-archives.js";
import { readLogChunks } from "../store/queries/log-chunks.js";
import type { Db } from "../store/queries/types.js";
import { decodeArchive, linesOfChunks } from "./lines-codec.js";
import type { LogArchiveLike, LogLine } from "./types.js";

export interface ReadLogOptions {
  /** Only lines with a larger offset. */
  after?: number;
  step?: string;
}

/**
 * A run's log lines in offset order: finished step attempts from the archive, running ones from the
 * live chunks. A step attempt is moved from one to the other in one transaction; the chunks are read
 * before the archive list, so a move in between shows its lines twice (one copy is dropped), never
 * not at all.
 */
export async function readLogLines(
  db: Db,
  archive: LogArchiveLike,
  runId: string,
  options: ReadLogOptions = {},
): Promise<LogLine[]> {
  const after = options.after ?? -1;
  const filter = { after, ...(options.step !== undefined ? { step: options.step } : {}) };
  const chunksFirst = await readLogChunks(db, runId, filter);
  const archived = await listLogArchives(db, runId, filter);
  const lines: LogLine[] = [];
  for (const row of archived) {
    const body = await archive.get(row.object_key);
    if (body !== undefined) lines.push(...decodeArchive(body));
  }
  // Chunks archived after we read them are in `archived` too; chunks read after archiving are not.
  lines.push(...linesOfChunks(chunksFirst));
  const byOffset = new Map<number, LogLine>();
  for (const line of lines) if (line.offset > after) byOffset.set(line.offset, line);
  return [...byOffset.values()].sort((a, b) => a.offset - b.offset);
}
