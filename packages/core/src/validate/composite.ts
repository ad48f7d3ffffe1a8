import type { ActionRuns, Problem } from "../format/types.js";
import type { SourceFile } from "../yaml/parse.js";
import { checkExpressions } from "./expressions.js";
import { innerShapeProblems } from "./job.js";

/**
 * A composite action's `runs`: `steps` (run steps, which become steps of the job that uses the action)
 * and nothing of the other languages. Its steps read the action's inputs and their own steps.
 */
export function compositeProblems(
  source: SourceFile,
  runs: ActionRuns,
  inputs: ReadonlySet<string>,
): Problem[] {
  const at = { file: source.file, ...source.locate(["runs"], { key: true }) };
  const problems: Problem[] = [];
  for (const key of ["script", "run", "command", "image", "entrypoint"] as const) {
    if (runs[key] !== undefined)
      problems.push({ ...at, message: `runs: 'composite' takes 'steps', not '${key}'` });
  }
  if (!Array.isArray(runs.steps)) {
    problems.push({ ...at, message: "runs: 'composite' needs 'steps' (a list of run: steps)" });
    return problems;
  }
  const ids = new Set<string>();
  runs.steps.forEach((step, index) => {
    if (step === null || typeof step !== "object") return;
    const path = ["runs", "steps", index];
    const where = `runs.steps[${index}]`;
    problems.push(...innerShapeProblems(source, path, where, step));
    if (step.uses !== undefined) {
      problems.push({
        file: source.file,
        ...source.locate([...path, "uses"]),
        message: `${where}.uses: a composite action's steps are run: steps (an action inside one is not supported)`,
      });
    }
    const scope = {
      inputs,
      item: false,
      steps: new Set(ids),
      contexts: new Set(["inputs", "env", "run", "steps"]),
      // A composite action's steps run inside a job, in its workspace.
      workspace: true,
    };
    problems.push(...checkExpressions(source, [...path, "run"], step.run, scope));
    problems.push(...checkExpressions(source, [...path, "env"], step.env, scope));
    problems.push(...checkExpressions(source, [...path, "if"], step.if, scope, { bare: true }));
    if (typeof step.id === "string") ids.add(step.id);
  });
  return problems;
}
