import type { Insertable } from "kysely";
import { type DeploymentsTable, withPeopleTables } from "./people-tables.js";
import { withRunSteps } from "./run-steps.js";
import type { Db } from "./types.js";

/** Records a deployment once per run and step (a retry or a second worker does not add another). */
export async function insertDeployment(db: Db, row: Insertable<DeploymentsTable>): Promise<void> {
  await withPeopleTables(db)
    .insertInto("deployments")
    .values(row)
    .onConflict((oc) => oc.columns(["run_id", "step"]).doNothing())
    .execute();
}

/** Deployments newest first, with their run's status and state for the result. */
export async function listDeployments(db: Db, options: { environment?: string; limit: number }) {
  let query = withPeopleTables(db)
    .selectFrom("deployments")
    .innerJoin("runs", "runs.id", "deployments.run_id")
    .selectAll("deployments")
    .select(["runs.status as run_status", "runs.state_json as state_json"]);
  if (options.environment) query = query.where("deployments.environment", "=", options.environment);
  const rows = await query.orderBy("deployments.created_at", "desc").limit(options.limit).execute();
  return withRunSteps(db, rows, (row) => row.run_id);
}
