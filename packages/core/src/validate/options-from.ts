import { findExpressions } from "../expressions/template.js";
import type { InputSpec, Problem } from "../format/types.js";
import { optionsDependencies } from "../inputs/options-from.js";
import type { SourceFile } from "../yaml/parse.js";
import { findCycle } from "./find-cycle.js";

/**
 * Checks `options_from` on inputs: one source each, only on choices, a script with no expression in its
 * text (outside values reach it as INPUT_<NAME>), dependencies on other known, non-secret inputs, and
 * no input depending on itself through others.
 */
export function optionsFromProblems(
  source: SourceFile,
  specs: Record<string, InputSpec> | undefined,
): Problem[] {
  const problems: Problem[] = [];
  const inputs = specs ?? {};
  const graph = new Map<string, string[]>();
  for (const [name, spec] of Object.entries(inputs)) {
    const from = spec?.options_from;
    if (!from || typeof from !== "object") continue;
    const at = (key?: string) => ({
      file: source.file,
      ...source.locate(key ? ["inputs", name, "options_from", key] : ["inputs", name, "options_from"], {
        key: true,
      }),
    });
    const field = `inputs.${name}.options_from`;
    if (spec.type !== "choice")
      problems.push({ ...at(), message: `${field}: only a choice input has options (type is ${spec.type})` });
    const kinds = (["run", "workflow", "http"] as const).filter((k) => from[k] !== undefined);
    if (kinds.length !== 1)
      problems.push({
        ...at(),
        message: `${field}: give exactly one of run, workflow, http (${kinds.length ? `got ${kinds.join(", ")}` : "got none"})`,
      });
    if (typeof from.run === "string" && findExpressions(from.run).length > 0)
      problems.push({
        ...at("run"),
        message: `${field}.run: no \${{ }} in a script's text; it reads the inputs it depends on as $INPUT_<NAME> (list them in depends_on)`,
      });
    if (from.depends_on !== undefined && from.run === undefined)
      problems.push({
        ...at("depends_on"),
        message: `${field}.depends_on: only for run (workflow and http depend on the inputs their \${{ inputs.x }} name)`,
      });
    if (from.with !== undefined && from.workflow === undefined)
      problems.push({ ...at("with"), message: `${field}.with: only for workflow` });
    const deps = optionsDependencies(from);
    for (const dep of deps) {
      const target = inputs[dep];
      if (dep === name)
        problems.push({ ...at(), message: `${field}: input '${name}' cannot depend on itself` });
      else if (!target)
        problems.push({
          ...at(),
          message: `${field}: depends on unknown input '${dep}' (inputs: ${Object.keys(inputs).join(", ")})`,
        });
      else if (target.type === "secret")
        problems.push({ ...at(), message: `${field}: cannot depend on secret input '${dep}'` });
    }
    graph.set(name, deps);
  }
  const cycle = findCycle(graph, { ignoreSelfLoops: true });
  if (cycle) {
    const first = cycle[0] as string;
    problems.push({
      file: source.file,
      ...source.locate(["inputs", first, "options_from"], { key: true }),
      message: `inputs: options depend on each other in a circle: ${cycle.join(" -> ")}`,
    });
  }
  return problems;
}
