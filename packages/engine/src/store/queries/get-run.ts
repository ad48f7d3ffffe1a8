import type { Selectable } from "kysely";
import type { RunsTable } from "../tables.js";
import { withRunSteps } from "./run-steps.js";
import type { Db } from "./types.js";

/** A run's row, its `state_json` holding the whole state (its steps' rows merged in: see withRunSteps). */
export async function getRun(db: Db, id: string): Promise<Selectable<RunsTable> | undefined> {
  const row = await db.selectFrom("runs").selectAll().where("id", "=", id).executeTakeFirst();
  return row && (await withRunSteps(db, [row]))[0];
}
