import type { Kysely } from "kysely";
import type { Dialect } from "../dialect.js";

/**
 * `run_steps`: each step's part of a run's state (the planner's StepState as JSON), one row per step, so
 * a step's start and finish write that step's row and the run's small header (`runs.state_json`:
 * status, outputs, error) instead of the whole document. Runs written before keep their steps inside
 * `runs.state_json`; readers merge both (store/decode/runs.ts) and the first write of such a run moves
 * them here. `position` is the step's place in the workflow, so the state reads back in the workflow's order.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable("run_steps")
    .addColumn("run_id", "text", (c) => c.notNull())
    .addColumn("step", "text", (c) => c.notNull())
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("state_json", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("run_steps_pk", ["run_id", "step"])
    .execute();
}
