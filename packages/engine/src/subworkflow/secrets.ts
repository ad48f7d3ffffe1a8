import type { RunInfo, WorkflowSpec } from "@gantry/core";

/**
 * A child run's workflow with the secret references its parent passed (`secrets: inherit` or a map) added
 * under the names the child sees, over its own `secrets:` of the same name (which serve as the defaults of
 * a child run that was passed none). References, not values, are kept with the run.
 */
export function withInheritedSecrets(workflow: WorkflowSpec, info: RunInfo): WorkflowSpec {
  const refs = (info.trigger as { secret_refs?: Record<string, string> }).secret_refs;
  if (info.trigger.type !== "workflow_call" || !refs) return workflow;
  return { ...workflow, secrets: { ...(workflow.secrets ?? {}), ...refs } };
}
