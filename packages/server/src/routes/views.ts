import { needsOf, type StepSpec } from "@gantry/core";
import { runReport, store } from "@gantry/engine";

type RunRow = Awaited<ReturnType<typeof store.getRun>> & object;
type WorkflowRow = Awaited<ReturnType<typeof store.getWorkflow>> & object;
type SummaryRow = Awaited<ReturnType<typeof store.listRuns>>[number];
type StepSummaryRow = Awaited<ReturnType<typeof store.listStepSummaries>>[number];

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function runSummaryView(row: SummaryRow) {
  return {
    id: row.id,
    workflow: row.workflow,
    status: row.status,
    trigger: store.decodeRunTrigger(row),
    created_at: iso(row.created_at),
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
  };
}

/**
 * A run as the API shows it: the steps as `gantry run --json` prints them, inputs without secrets, and
 * the summaries the steps wrote (Markdown, masked): every attempt's in `summaries`, keyed by the step's
 * key as the worker names it, and each step's newest attempts (one per item) joined as its `summary`.
 */
export function runDetailView(row: RunRow, summaries: StepSummaryRow[] = []) {
  const state = store.decodeRunState(row);
  const report = state ? runReport(row.id, state) : undefined;
  const steps: Record<string, object> = { ...(report?.steps ?? {}) };
  for (const [step, markdown] of newestSummaries(summaries)) {
    const entry = steps[step];
    if (entry) steps[step] = { ...entry, summary: markdown };
  }
  for (const [id, step] of Object.entries(report?.steps ?? {})) {
    const gate = state?.steps[id]?.gate;
    if (!gate) continue;
    // Behind a gate nobody decided yet, the step waits for a person rather than runs.
    const waiting = step.status === "running" && !gate.decision;
    steps[id] = { ...steps[id], gate, ...(waiting ? { status: "waiting" } : {}) };
  }
  return {
    ...runSummaryView(row),
    revision: row.revision,
    source: row.source ?? null,
    commit: row.commit_sha ?? null,
    attempt: row.attempt,
    parent_run_id: row.parent_run_id,
    inputs: store.decodeInputs(row),
    outputs: store.decodeRunOutputs(row) ?? {},
    error: row.error ?? report?.error ?? null,
    steps,
    summaries: summaries.map((s) => ({
      step: s.step,
      item_index: s.item_index,
      attempt: s.attempt,
      markdown: s.markdown,
    })),
  };
}

/** Each step's summary: the newest attempt of each item, in item order, separated by a rule. */
function newestSummaries(rows: StepSummaryRow[]): Map<string, string> {
  const newest = new Map<string, Map<number, StepSummaryRow>>();
  for (const row of rows) {
    const items = newest.get(row.step) ?? new Map<number, StepSummaryRow>();
    const seen = items.get(row.item_index);
    if (!seen || seen.attempt < row.attempt) items.set(row.item_index, row);
    newest.set(row.step, items);
  }
  return new Map(
    [...newest].map(([step, items]) => [
      step,
      [...items.values()]
        .sort((a, b) => a.item_index - b.item_index)
        .map((r) => r.markdown)
        .join("\n\n---\n\n"),
    ]),
  );
}

export function workflowView(row: WorkflowRow, lastRun?: SummaryRow | null) {
  const definition = store.decodeDefinition(row);
  return {
    ...(lastRun !== undefined ? { last_run: lastRun ? runSummaryView(lastRun) : null } : {}),
    name: row.name,
    description: row.description,
    source: row.source,
    file: row.file,
    revision: row.revision,
    updated_at: iso(row.updated_at),
    input_schema: store.decodeInputSchema(row),
    triggers: definition.workflow.on ?? { manual: {} },
    steps: Object.entries(definition.workflow.steps).map(([id, step]: [string, StepSpec]) => ({
      id,
      name: step.name ?? id,
      needs: needsOf(step),
      ...(step.unsafe_interpolation === true ? { unsafe_interpolation: true } : {}),
    })),
  };
}
