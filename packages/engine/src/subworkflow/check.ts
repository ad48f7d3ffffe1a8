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
      const called = calls.get(caller.name);
      if (called) called.push(name);
      else calls.set(caller.name, [name]);
      const child = byName.get(name);
      if (!child) {
        problems.push({
          ...(await at(["steps", id, "uses"])),
          message: `steps.${id}.uses: no workflow '${name}' in the same source (workflows: ${[...byName.keys()].sort().join(", ")})`,
        });
        continue;
      }
      for (const p of callInputProblems(id, name, step.with, child.workflow.inputs))
        problems.push({ ...(await at(p.at, p.key)), message: p.message });
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

/**
 * A call's `with:` against the called workflow's inputs: every key must be an input, every required
 * input without a default must be given. `at` is the YAML path to point at.
 */
export function callInputProblems(
  id: string,
  name: string,
  given: Record<string, unknown> | undefined,
  inputs: WorkflowSpec["inputs"] = {},
): { at: Array<string | number>; key: boolean; message: string }[] {
  const problems: { at: Array<string | number>; key: boolean; message: string }[] = [];
  for (const key of Object.keys(given ?? {}))
    if (!(key in inputs))
      problems.push({
        at: ["steps", id, "with", key],
        key: true,
        message: `steps.${id}.with.${key}: workflow '${name}' has no input '${key}' (inputs: ${Object.keys(inputs).join(", ") || "none"})`,
      });
  for (const [key, spec] of Object.entries(inputs))
    if (spec.required && spec.default === undefined && !(key in (given ?? {})))
      problems.push({
        at: ["steps", id, "uses"],
        key: false,
        message: `steps.${id}.with: workflow '${name}' needs input '${key}'`,
      });
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
