import type { Problem, StepSpec } from "../format/types.js";
import type { SourceFile } from "../yaml/parse.js";

const SUB_WORKFLOW_USES = /^workflow:([A-Za-z0-9_.-]+)$/;

/** `workflow:<name>` -> the name; undefined for any other `uses:`. */
export function subWorkflowName(uses: string | undefined): string | undefined {
  return uses === undefined ? undefined : SUB_WORKFLOW_USES.exec(uses)?.[1];
}

/** Keys that mean nothing for a sub-workflow step: its child run has its own steps, scripts and runners. */
const NOT_FOR_SUB_WORKFLOWS = ["env", "working_directory", "runner", "retry"] as const;

/** A sub-workflow step's shape; its `with:` against the child's inputs is checked where both are known. */
export function subWorkflowStepProblems(source: SourceFile, id: string, step: StepSpec): Problem[] {
  const problems: Problem[] = [];
  for (const key of NOT_FOR_SUB_WORKFLOWS)
    if (step[key] !== undefined)
      problems.push({
        file: source.file,
        ...source.locate(["steps", id, key], { key: true }),
        message: `steps.${id}.${key}: not for a sub-workflow (uses: workflow:…); the called workflow sets its own`,
      });
  return problems;
}

/** Secrets a step's `secrets:` is not for: they are for sub-workflows only. */
export function secretsOnlyForSubWorkflows(source: SourceFile, id: string, step: StepSpec): Problem[] {
  if (step.secrets === undefined || subWorkflowName(step.uses) !== undefined) return [];
  return [
    {
      file: source.file,
      ...source.locate(["steps", id, "secrets"], { key: true }),
      message: `steps.${id}.secrets: only a sub-workflow (uses: workflow:<name>) takes secrets`,
    },
  ];
}
