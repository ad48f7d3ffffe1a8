import type { Problem, StepSpec } from "../format/types.js";
import type { SourceFile } from "../yaml/parse.js";

const SUB_WORKFLOW_USES = /^workflow:([A-Za-z0-9_.-]+)$/;

/** `workflow:<name>` -> the name; undefined for any other `uses:`. */
export function subWorkflowName(uses: string | undefined): string | undefined {
  return uses === undefined ? undefined : SUB_WORKFLOW_USES.exec(uses)?.[1];
}

/** `<library>/<path>.yaml@<ref>`: a workflow file of an action library (gantry.yaml `libraries:`). */
const LIBRARY_WORKFLOW_USES = /^([A-Za-z0-9_.-]+)\/([^@\s]+\.ya?ml)@([^@\s]+)$/;

/** A library workflow's `uses:` as library, path and ref; undefined for any other `uses:`. */
export function libraryWorkflowUses(
  uses: string | undefined,
): { library: string; path: string; ref: string } | undefined {
  const match = uses === undefined ? null : LIBRARY_WORKFLOW_USES.exec(uses);
  return match
    ? { library: match[1] as string, path: match[2] as string, ref: match[3] as string }
    : undefined;
}

/** Does this `uses:` start a child run (a workflow of the same source, or of a library)? */
export function isSubWorkflowUses(uses: string | undefined): boolean {
  return subWorkflowName(uses) !== undefined || libraryWorkflowUses(uses) !== undefined;
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
  if (step.secrets === undefined || isSubWorkflowUses(step.uses)) return [];
  return [
    {
      file: source.file,
      ...source.locate(["steps", id, "secrets"], { key: true }),
      message: `steps.${id}.secrets: only a sub-workflow (uses: workflow:<name> or <library>/<path>.yaml@<ref>) takes secrets`,
    },
  ];
}
