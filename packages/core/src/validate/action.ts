import type { ActionSpec, Problem } from "../format/types.js";
import { actionSchema } from "../schema/action-schema.js";
import { parseYamlFile, type SourceFile } from "../yaml/parse.js";
import { compositeProblems } from "./composite.js";
import { checkExpressions } from "./expressions.js";
import { injectionProblem, scriptFindings } from "./injection.js";
import { inputSpecProblems } from "./inputs.js";
import { runnerProblems } from "./runner.js";
import { schemaProblems } from "./schema-problems.js";
import { isMap, sortProblems } from "./workflow.js";

export interface ActionValidation {
  action?: ActionSpec;
  source?: SourceFile;
  problems: Problem[];
}

/** Parses and checks an `action.yaml`. `action` is set only when there is no problem. */
export function validateActionText(file: string, text: string): ActionValidation {
  const parsed = parseYamlFile(file, text);
  if (!parsed.source) return { problems: parsed.problems };
  const source = parsed.source;
  if (!isMap(source.value)) {
    return {
      source,
      problems: [{ file, line: 1, col: 1, message: "an action must be a YAML map with a 'runs' key" }],
    };
  }
  const problems = schemaProblems(source, actionSchema);
  const spec = source.value as unknown as ActionSpec;
  problems.push(...inputSpecProblems(source, spec.inputs));
  if (isMap(spec.runs)) {
    const runs = spec.runs;
    const at = { file, ...source.locate(["runs"], { key: true }) };
    if (runs.using === "container") {
      if (typeof runs.image !== "string")
        problems.push({ ...at, message: "runs: 'container' needs 'image' (the image to run)" });
      if (runs.script !== undefined || runs.run !== undefined) {
        problems.push({
          ...at,
          message: "runs: 'container' takes 'image', 'command' and 'entrypoint', not 'script' or 'run'",
        });
      }
    } else if (runs.image !== undefined || runs.entrypoint !== undefined) {
      problems.push({ ...at, message: "runs: 'image' and 'entrypoint' are only for using: container" });
    }
    if (runs.using === "composite") {
      problems.push(
        ...compositeProblems(source, runs, new Set(Object.keys(isMap(spec.inputs) ? spec.inputs : {}))),
      );
    } else if (runs.steps !== undefined) {
      problems.push({ ...at, message: "runs: 'steps' is only for using: composite" });
    }
    if (runs.using === "container" || runs.using === "composite") {
      // Its command is optional: without one the image's own CMD runs.
    } else if (runs.using === "exec") {
      if (runs.command === undefined)
        problems.push({ ...at, message: "runs: 'exec' needs 'command' (the program and its arguments)" });
      if (runs.script !== undefined || runs.run !== undefined) {
        problems.push({ ...at, message: "runs: 'exec' takes 'command', not 'script' or 'run'" });
      }
    } else if (runs.using !== undefined) {
      if ((runs.script === undefined) === (runs.run === undefined)) {
        problems.push({
          ...at,
          message: `runs: '${runs.using}' needs exactly one of 'script' (a file in the action's folder) or 'run' (inline)`,
        });
      }
      if (runs.command !== undefined)
        problems.push({ ...at, message: "runs: 'command' is only for using: exec" });
    }
    const inputs = new Set(Object.keys(isMap(spec.inputs) ? spec.inputs : {}));
    const scope = { inputs, item: false, contexts: new Set(["inputs", "env", "run"]) };
    problems.push(...checkExpressions(source, ["runs", "run"], runs.run, scope));
    if (typeof runs.run === "string") {
      const rules = { inputs: isMap(spec.inputs) ? spec.inputs : {}, env: new Map<string, string>() };
      const findings = scriptFindings(["runs", "run"], runs.run, rules, {
        shell: runs.using,
        taken: new Set(),
        inputVariables: true,
      });
      for (const f of findings) problems.push(injectionProblem(source, f, runs.run));
    }
    problems.push(...checkExpressions(source, ["runs", "command"], runs.command, scope));
    problems.push(...checkExpressions(source, ["runs", "entrypoint"], runs.entrypoint, scope));
    problems.push(...checkExpressions(source, ["runs", "image"], runs.image, scope));
  }
  if (isMap(spec.runner)) {
    const type =
      spec.runner.type ?? (isMap(spec.runs) && spec.runs.using === "container" ? "docker" : "local");
    problems.push(...runnerProblems(source, ["runner"], spec.runner, type));
    if (type === "ssh") {
      problems.push({
        file,
        ...source.locate(["runner", "type"]),
        message:
          "runner.type: an action cannot choose ssh; the step that uses it does (runner: {type: ssh, nodes: …})",
      });
    }
    if (isMap(spec.runs) && spec.runs.using === "container" && type === "local") {
      problems.push({
        file,
        ...source.locate(["runner", "type"]),
        message: "runner.type: a container action runs on docker or kubernetes, not local",
      });
    }
  }
  sortProblems(problems);
  return problems.length === 0 ? { action: spec, source, problems } : { source, problems };
}
