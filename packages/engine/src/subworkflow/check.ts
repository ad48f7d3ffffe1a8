import { readFile } from "node:fs/promises";
import path from "node:path";
import { findCycle, type Problem, parseYamlFile, subWorkflowName, type WorkflowSpec } from "@gantry/core";

/** A loaded workflow as the sub-workflow check needs it: its file and its spec. */
export interface CheckedWorkflow {
  name: string;
  file: string;
  workflow: WorkflowSpec;
}

/**
 * Checks sub-workflow steps across a set of workflows loaded together (a folder, a source's commit):
 * the called workflow exists among them, `with:` names only its inputs and gives every required one,
 * and no workflow calls itself, directly or through others. Problems point at the `uses:` or `with:`.
 */
export async function subWorkflowProblems(workflows: CheckedWorkflow[]): Promise<Problem[]> {
  const byName = new Map(workflows.map((w) => [w.name, w]));
  const problems: Problem[] = [];
  const calls = new Map<string, string[]>();
  for (const caller of workflows) {
    // The file is parsed again only for a problem to point at: most workflows have none here, and a
    // 100,000-step file takes seconds to parse.
    let located: Locate | undefined;
    const at = async (where: Array<string | number>, key = false) => {
      located ??= await locator(caller.file);
      return located(where, key);
    };
    for (const [id, step] of Object.entries(caller.workflow.steps ?? {})) {
      const name = subWorkflowName(step.uses);
      if (name === undefined) continue;
      calls.set(caller.name, [...(calls.get(caller.name) ?? []), name]);
      const child = byName.get(name);
      if (!child) {
        problems.push({
          ...(await at(["steps", id, "uses"])),
          message: `steps.${id}.uses: no workflow '${name}' in the same source (workflows: ${[...byName.keys()].sort().join(", ")})`,
        });
        continue;
      }
      const inputs = child.workflow.inputs ?? {};
      for (const key of Object.keys(step.with ?? {}))
        if (!(key in inputs))
          problems.push({
            ...(await at(["steps", id, "with", key], true)),
            message: `steps.${id}.with.${key}: workflow '${name}' has no input '${key}' (inputs: ${Object.keys(inputs).join(", ") || "none"})`,
          });
      for (const [key, spec] of Object.entries(inputs))
        if (spec.required && spec.default === undefined && !(key in (step.with ?? {})))
          problems.push({
            ...(await at(["steps", id, "uses"])),
            message: `steps.${id}.with: workflow '${name}' needs input '${key}'`,
          });
    }
  }
  const cycle = findCycle(calls);
  if (cycle) {
    const first = byName.get(cycle[0] as string) as CheckedWorkflow;
    const at = await locator(first.file);
    const step = Object.entries(first.workflow.steps).find(
      ([, s]) => subWorkflowName(s.uses) === cycle[1],
    )?.[0];
    problems.push({
      ...at(step ? ["steps", step, "uses"] : []),
      message: `sub-workflows call each other in a circle: ${cycle.join(" -> ")} (a run of it would never end)`,
    });
  }
  return problems;
}

type Locate = (at: Array<string | number>, key?: boolean) => Omit<Problem, "message">;

async function locator(file: string): Promise<Locate> {
  const text = await readFile(file, "utf8").catch(() => "");
  const shown =
    path.isAbsolute(file) && file.startsWith(process.cwd()) ? path.relative(process.cwd(), file) : file;
  const source = parseYamlFile(shown, text).source;
  return (at, key = false) => ({
    file: shown,
    ...(source?.locate(at, { key }) ?? { line: 1, col: 1 }),
  });
}
