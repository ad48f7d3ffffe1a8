import type { Problem, StepSpec } from "../format/types.js";
import type { SourceFile } from "../yaml/parse.js";
import { APPROVAL_OUTPUTS } from "./types.js";

/** Keys that make no sense on a node that runs nothing. */
const NOT_ON_APPROVAL = [
  "run",
  "uses",
  "shell",
  "with",
  "env",
  "retry",
  "timeout",
  "for_each",
  "continue_on_error",
  "working_directory",
  "runner",
  "environment",
] as const;

/** The shape of an approval node, beyond the schema: it runs nothing, and its form's names are free. */
export function approvalProblems(source: SourceFile, id: string, step: StepSpec): Problem[] {
  if (step.approval === undefined || step.approval === null || typeof step.approval !== "object") return [];
  const problems: Problem[] = [];
  for (const key of NOT_ON_APPROVAL) {
    if (step[key] === undefined) continue;
    problems.push({
      file: source.file,
      ...source.locate(["steps", id, key], { key: true }),
      message: `steps.${id}.${key}: an approval node runs nothing; it takes name, needs, if and approval only`,
    });
  }
  const inputs = step.approval.inputs;
  if (inputs && typeof inputs === "object") {
    for (const [name, spec] of Object.entries(inputs)) {
      const at = {
        file: source.file,
        ...source.locate(["steps", id, "approval", "inputs", name], { key: true }),
      };
      if ((APPROVAL_OUTPUTS as readonly string[]).includes(name))
        problems.push({
          ...at,
          message: `steps.${id}.approval.inputs.${name}: the name is taken by the decision's own outputs (${APPROVAL_OUTPUTS.join(", ")})`,
        });
      if (spec && typeof spec === "object" && (spec.type === "secret" || spec.type === "nodes"))
        problems.push({
          ...at,
          message: `steps.${id}.approval.inputs.${name}: type ${spec.type} cannot be asked of an approver (the answer becomes a step output)`,
        });
    }
  }
  return problems;
}
