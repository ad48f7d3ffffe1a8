import { type CommitReportsTable, withCiTables } from "./ci-results-tables.js";
import type { Db } from "./types.js";

export interface ReportCandidate {
  id: string;
  workflow: string;
  status: string;
  source: string;
  info_json: string;
  reported: string | null;
  check_run_id: number | null;
  attempts: number | null;
}

/**
 * Runs of these sources, created since `since`, whose status differs from the one last reported on
 * GitHub and whose report is due: what a reporter should post now.
 */
export async function dueCommitReports(
  db: Db,
  q: { sources: string[]; since: number; now: number; limit: number },
): Promise<ReportCandidate[]> {
  if (q.sources.length === 0) return [];
  const rows = await withCiTables(db)
    .selectFrom("runs")
    .leftJoin("commit_reports", "commit_reports.run_id", "runs.id")
    .select([
      "runs.id",
      "runs.workflow",
      "runs.status",
      "runs.source",
      "runs.info_json",
      "commit_reports.run_status as reported",
      "commit_reports.check_run_id",
      "commit_reports.attempts",
    ])
    .where("runs.source", "in", q.sources)
    .where("runs.trigger_type", "=", "github")
    .where("runs.created_at", ">=", q.since)
    .where((eb) =>
      eb.or([
        eb("commit_reports.run_id", "is", null),
        eb.and([
          eb("commit_reports.next_at", "<=", q.now),
          eb("commit_reports.run_status", "<>", eb.ref("runs.status")),
        ]),
      ]),
    )
    .orderBy("runs.created_at")
    .limit(q.limit)
    .execute();
  return rows.map((r) => ({ ...r, source: r.source ?? "" }));
}

/**
 * Claims a run's report for `holdMs`: true for exactly one process when several servers look at once,
 * so a check run is never made twice.
 */
export async function claimCommitReport(
  db: Db,
  runId: string,
  now: number,
  holdMs: number,
): Promise<boolean> {
  const ci = withCiTables(db);
  await ci
    .insertInto("commit_reports")
    .values({
      run_id: runId,
      run_status: "",
      check_run_id: null,
      attempts: 0,
      next_at: now,
      error: null,
      updated_at: now,
    })
    .onConflict((oc) => oc.column("run_id").doNothing())
    .execute();
  const result = await ci
    .updateTable("commit_reports")
    .set({ next_at: now + holdMs })
    .where("run_id", "=", runId)
    .where("next_at", "<=", now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function updateCommitReport(
  db: Db,
  runId: string,
  values: Partial<Omit<CommitReportsTable, "run_id">>,
): Promise<void> {
  await withCiTables(db).updateTable("commit_reports").set(values).where("run_id", "=", runId).execute();
}

export async function getCommitReport(db: Db, runId: string) {
  return withCiTables(db)
    .selectFrom("commit_reports")
    .selectAll()
    .where("run_id", "=", runId)
    .executeTakeFirst();
}
