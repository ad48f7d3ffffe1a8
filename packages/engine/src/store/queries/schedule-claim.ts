import { sql } from "kysely";
import type { Dialect } from "../database.js";
import { workflowRevisions } from "./get-workflow.js";
import { withScheduleTables } from "./schedule-tables.js";
import type { Db } from "./types.js";

/** A schedule's due times as the scheduler read them, and its progress once they are handled. */
export interface ScheduleClaim {
  id: string;
  workflow: string;
  /** The row's `updated_at` and `handled_until` when read: it is claimed only if both are unchanged. */
  updatedAt: number;
  handledUntil: number;
  /** Every time up to this one is handled once the transaction commits. */
  until: number;
}

/**
 * Claims schedules' due times in the caller's transaction: each schedule still as it was read and not
 * suspended is advanced to `until` and stays locked until the transaction ends, so a second scheduler
 * that believes it leads (its lease ran out while it was paused) waits and then finds it changed.
 * Returns the claimed schedules with their workflow's current revision (null: the workflow is gone).
 *
 * On Postgres one statement does it: the rows are locked in id order (two transactions never wait on
 * each other in a cycle), re-checked after any wait, advanced, and the revisions read; the claims travel
 * as one JSON parameter. SQLite has one writer at a time, so there a read and an update suffice.
 */
export async function claimSchedules(
  db: Db,
  dialect: Dialect,
  claims: ScheduleClaim[],
): Promise<Map<string, string | null>> {
  if (claims.length === 0) return new Map();
  if (dialect === "postgres") {
    const wanted = JSON.stringify(
      claims.map((c) => ({
        id: c.id,
        updated_at: c.updatedAt,
        handled_until: c.handledUntil,
        until: c.until,
      })),
    );
    const { rows } = await sql<{ id: string; revision: string | null }>`
      with wanted as (
        select * from json_to_recordset(${wanted}::json)
          as w(id text, updated_at bigint, handled_until bigint, until bigint)
      ), locked as (
        select s.id from schedules s join wanted w on w.id = s.id
         where s.updated_at = w.updated_at and s.handled_until = w.handled_until and s.suspended = 0
         order by s.id for update of s
      )
      update schedules s set handled_until = w.until
        from wanted w
       where w.id = s.id and s.id in (select id from locked)
      returning s.id, (select revision from workflows where name = s.workflow) as revision`.execute(db);
    return new Map(rows.map((r) => [r.id, r.revision]));
  }
  const sdb = withScheduleTables(db);
  const rows = await sdb
    .selectFrom("schedules")
    .select(["id", "updated_at", "handled_until", "suspended"])
    .where(
      "id",
      "in",
      claims.map((c) => c.id),
    )
    .execute();
  const current = new Map(rows.map((r) => [r.id, r]));
  const claimed = claims.filter((c) => {
    const row = current.get(c.id);
    return (
      row !== undefined &&
      row.suspended === 0 &&
      Number(row.updated_at) === c.updatedAt &&
      Number(row.handled_until) === c.handledUntil
    );
  });
  for (const c of claimed)
    await sdb.updateTable("schedules").set({ handled_until: c.until }).where("id", "=", c.id).execute();
  const revisions = await workflowRevisions(db, [...new Set(claimed.map((c) => c.workflow))]);
  return new Map(claimed.map((c) => [c.id, revisions.get(c.workflow) ?? null]));
}
