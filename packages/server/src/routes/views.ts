import { needsOf, type RunState, type StepSpec } from "@gantry/core";
import { runReport, type store, type WorkflowDefinition } from "@gantry/engine";

type RunRow = Awaited<ReturnType<typeof store.getRun>> & object;
type WorkflowRow = Awaited<ReturnType<typeof store.getWorkflow>> & object;
type SummaryRow = Awaited<ReturnType<typeof store.listRuns>>[number];

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function runSummaryView(row: SummaryRow) {
  return {
    id: row.id,
    workflow: row.workflow,
    status: row.status,
    trigger: JSON.parse(row.trigger_json) as object,
    created_at: iso(row.created_at),
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
  };
}

/** A run as the API shows it: the steps as `gantry run --json` prints them, inputs without secrets. */
export function runDetailView(row: RunRow) {
  const state = JSON.parse(row.state_json) as RunState | null;
  const report = state ? runReport(row.id, state) : undefined;
  return {
    ...runSummaryView(row),
    revision: row.revision,
    source: row.source ?? null,
    commit: row.commit_sha ?? null,
    attempt: row.attempt,
    parent_run_id: row.parent_run_id,
    inputs: JSON.parse(row.inputs_json) as object,
    outputs: row.outputs_json ? (JSON.parse(row.outputs_json) as object) : {},
    error: row.error ?? report?.error ?? null,
    steps: Object.fromEntries(
      Object.entries(report?.steps ?? {}).map(([id, step]) => {
        const gate = state?.steps[id]?.gate;
        if (!gate) return [id, step];
        // Behind a gate nobody decided yet, the step waits for a person rather than runs.
        const waiting = step.status === "running" && !gate.decision;
        return [id, { ...step, gate, ...(waiting ? { status: "waiting" } : {}) }];
      }),
    ),
  };
}

export function workflowView(row: WorkflowRow, lastRun?: SummaryRow | null) {
  const definition = JSON.parse(row.definition_json) as WorkflowDefinition;
  return {
    ...(lastRun !== undefined ? { last_run: lastRun ? runSummaryView(lastRun) : null } : {}),
    name: row.name,
    description: row.description,
    source: row.source,
    file: row.file,
    revision: row.revision,
    updated_at: iso(row.updated_at),
    input_schema: JSON.parse(row.input_schema_json) as object,
    triggers: definition.workflow.on ?? { manual: {} },
    steps: Object.entries(definition.workflow.steps).map(([id, step]: [string, StepSpec]) => ({
      id,
      name: step.name ?? id,
      needs: needsOf(step),
    })),
  };
}
