import type { WorkflowSpec } from "../format/types.js";
import { EVENT_TRIGGER_KINDS, type EventTriggerKind } from "../vocabulary/triggers.js";

/** One event trigger entry as the workflow declares it, with its id. */
export interface TriggerSpec {
  /** `<workflow>:<kind>:<name>`, or `<workflow>:<kind>:<index>` for an unnamed entry (and `workflow` ones). */
  id: string;
  workflow: string;
  kind: EventTriggerKind;
  position: number;
  /** The entry without `inputs` (and without `name`, except for `workflow`, where it names the other one). */
  config: Record<string, unknown>;
  /** Input name → value or expression on the event. */
  inputs: Record<string, unknown>;
}

/** `on.<kind>` is a list of entries or one entry as a map; `on.workflow_run` is `on.workflow`'s alias. */
export function triggerEntries(
  workflow: Pick<WorkflowSpec, "on">,
  kind: EventTriggerKind,
): Array<Record<string, unknown>> {
  const on = workflow.on ?? {};
  const values = kind === "workflow" ? [on.workflow, on.workflow_run] : [on[kind]];
  const entries: Array<Record<string, unknown>> = [];
  for (const value of values) {
    if (Array.isArray(value)) entries.push(...(value as Array<Record<string, unknown>>));
    else if (value !== null && typeof value === "object") entries.push(value as Record<string, unknown>);
  }
  return entries;
}

export function triggerSpecs(workflowName: string, workflow: Pick<WorkflowSpec, "on">): TriggerSpec[] {
  const specs: TriggerSpec[] = [];
  for (const kind of EVENT_TRIGGER_KINDS) {
    triggerEntries(workflow, kind).forEach((entry, position) => {
      if (entry === null || typeof entry !== "object") return;
      const { inputs, name, ...rest } = entry;
      const named = kind !== "workflow" && typeof name === "string";
      specs.push({
        id: `${workflowName}:${kind}:${named ? name : position}`,
        workflow: workflowName,
        kind,
        position,
        config: kind === "workflow" ? { name, ...rest } : rest,
        inputs: inputs !== null && typeof inputs === "object" ? (inputs as Record<string, unknown>) : {},
      });
    });
  }
  return specs;
}
