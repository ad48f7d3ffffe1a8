import { randomUUID } from "node:crypto";
import { environmentName, type RunInfo, type RunState, type Task } from "@gantry/core";
import type { Selectable } from "kysely";
import type { WorkflowDefinition } from "../service/workflow-definition.js";
import { insertDeployment } from "../store/queries/deployments.js";
import type { Db } from "../store/queries/types.js";
import type { RunsTable } from "../store/tables.js";

/** As a step that deploys to an environment starts, records the deployment for the Deployments page. */
export async function recordDeployment(
  db: Db,
  run: Selectable<RunsTable>,
  definition: WorkflowDefinition,
  info: RunInfo,
  state: RunState,
  task: Task,
  now: number,
): Promise<void> {
  const spec = definition.workflow.steps[task.step];
  const environment = environmentName(spec?.environment);
  if (!environment) return;
  const step = state.steps[task.step];
  const decision = step?.gate?.decision;
  const actor = info.trigger.user ?? info.trigger.actor;
  await insertDeployment(db, {
    id: randomUUID(),
    environment,
    run_id: run.id,
    step: task.step,
    workflow: run.workflow,
    commit_sha: run.commit_sha ?? null,
    url: step?.gate?.url ?? (typeof spec?.environment === "object" ? (spec.environment.url ?? null) : null),
    inputs_json: run.inputs_json,
    approved_by: decision?.decision === "approve" ? decision.by : null,
    started_by: typeof actor === "string" ? actor : info.trigger.type,
    created_at: now,
  });
}
