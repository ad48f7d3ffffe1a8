import type { Selectable } from "kysely";
import type { RunsTable } from "../tables.js";
import type { Db } from "./types.js";

export interface RunFilter {
  workflow?: string;
  status?: string;
  /** `trigger.type`: manual, api, schedule, push, … */
  trigger?: string;
  /** Keyset cursor: runs strictly older than this (created_at, id). */
  before?: { createdAt: number; id: string };
  limit: number;
}

export type RunSummaryRow = Pick<
  Selectable<RunsTable>,
  "id" | "workflow" | "status" | "trigger_json" | "created_at" | "started_at" | "finished_at"
>;

/** Newest first, paged by keyset (not OFFSET), so page 1000 costs what page 1 does. */
export async function listRuns(db: Db, filter: RunFilter): Promise<RunSummaryRow[]> {
  let query = db
    .selectFrom("runs")
    .select(["id", "workflow", "status", "trigger_json", "created_at", "started_at", "finished_at"])
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(filter.limit);
  if (filter.workflow) query = query.where("workflow", "=", filter.workflow);
  if (filter.status) query = query.where("status", "=", filter.status);
  if (filter.trigger) query = query.where("trigger_type", "=", filter.trigger);
  const before = filter.before;
  if (before) {
    query = query.where((eb) =>
      eb.or([
        eb("created_at", "<", before.createdAt),
        eb.and([eb("created_at", "=", before.createdAt), eb("id", "<", before.id)]),
      ]),
    );
  }
  return query.execute();
}
