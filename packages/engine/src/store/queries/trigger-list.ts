import { type TriggerRow, withTriggerTables } from "./trigger-tables.js";
import type { Db } from "./types.js";

/** Every trigger, or one workflow's, in workflow and file order. */
export async function listTriggers(db: Db, options: { workflow?: string } = {}): Promise<TriggerRow[]> {
  let query = withTriggerTables(db).selectFrom("triggers").selectAll();
  if (options.workflow !== undefined) query = query.where("workflow", "=", options.workflow);
  return query.orderBy("workflow").orderBy("kind").orderBy("position").execute();
}

export async function getTrigger(db: Db, id: string): Promise<TriggerRow | undefined> {
  return withTriggerTables(db).selectFrom("triggers").selectAll().where("id", "=", id).executeTakeFirst();
}
