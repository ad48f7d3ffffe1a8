import type { Insertable } from "kysely";
import type { RunsTable } from "../tables.js";
import type { Db } from "./types.js";

export async function insertRun(db: Db, row: Insertable<RunsTable>): Promise<void> {
  const triggerType = (JSON.parse(row.trigger_json) as { type?: string }).type ?? null;
  await db
    .insertInto("runs")
    .values({ trigger_type: triggerType, ...row })
    .execute();
}
