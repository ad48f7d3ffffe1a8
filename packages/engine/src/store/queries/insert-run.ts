import type { Insertable } from "kysely";
import { decodeRunTrigger } from "../decode/runs.js";
import type { RunsTable } from "../tables.js";
import type { Db } from "./types.js";

export async function insertRun(db: Db, row: Insertable<RunsTable>): Promise<void> {
  const triggerType = decodeRunTrigger(row).type ?? null;
  await db
    .insertInto("runs")
    .values({ trigger_type: triggerType, ...row })
    .execute();
}
