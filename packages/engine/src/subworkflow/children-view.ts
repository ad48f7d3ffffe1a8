import { needsOf } from "@gantry/core";
import type { ServiceContext } from "../service/context.js";
import { decodeRunState, decodeRunTrigger } from "../store/decode/index.js";
import { withRunSteps } from "../store/queries/run-steps.js";
import type { WorkflowCallTrigger } from "./child-run.js";

/** A child run as its parent's graph draws it: which step called it, and its own steps with their status. */
export interface ChildRunGraph {
  id: string;
  workflow: string;
  status: string;
  step: string;
  index: number;
  attempt: number;
  steps: { id: string; name: string; needs: string[]; status: string }[];
}

/** The sub-workflow runs a run started, each with its graph at the revision it ran, oldest first. */
export async function childRunGraphs(ctx: ServiceContext, runId: string): Promise<ChildRunGraph[]> {
  const header = await ctx.database.db
    .selectFrom("runs")
    .select(["id", "workflow", "status", "revision", "state_json", "trigger_json"])
    .where("parent_run_id", "=", runId)
    .where("trigger_type", "=", "workflow_call")
    .orderBy("created_at")
    .execute();
  const rows = await withRunSteps(ctx.database.db, header);
  return Promise.all(
    rows.map(async (row) => {
      const trigger = decodeRunTrigger(row) as Partial<WorkflowCallTrigger>;
      const state = decodeRunState(row);
      const definition = await ctx.definitions.at(ctx.database.db, row.revision);
      return {
        id: row.id,
        workflow: row.workflow,
        status: row.status,
        step: trigger.parent_step ?? "",
        index: trigger.parent_index ?? 0,
        attempt: trigger.parent_attempt ?? 1,
        steps: Object.entries(definition.workflow.steps).map(([id, spec]) => ({
          id,
          name: spec.name ?? id,
          needs: needsOf(spec),
          status: state?.steps[id]?.status ?? "pending",
        })),
      };
    }),
  );
}
