import { CONTEXT_NAMES } from "../expressions/evaluate.js";
import type { Problem, StepSpec, WorkflowSpec } from "../format/types.js";
import { ancestorsOf, findCycle, needsOf } from "../graph/dag.js";
import { workflowSchema } from "../schema/workflow-schema.js";
import { parseYamlFile, type SourceFile } from "../yaml/parse.js";
import { didYouMean } from "./did-you-mean.js";
import { checkExpressions, type ExpressionScope } from "./expressions.js";
import { inputSpecProblems } from "./inputs.js";
import { schemaProblems } from "./schema-problems.js";

/** A `uses:` that names something outside this file, for the engine to resolve (core does no I/O). */
export interface UsesReference {
  step: string;
  uses: string;
  problemAt: Omit<Problem, "message">;
}

export interface WorkflowValidation {
  workflow?: WorkflowSpec;
  source?: SourceFile;
  uses: UsesReference[];
  problems: Problem[];
}

const LOCAL_USES = /^\.\.?\//;
const LIBRARY_USES = /^[A-Za-z0-9_.-]+\/[^@\s]+@[^@\s]+$/;

/** Parses and checks a workflow file. `workflow` is set only when there is no problem at all. */
export function validateWorkflowText(file: string, text: string): WorkflowValidation {
  const parsed = parseYamlFile(file, text);
  if (!parsed.source) return { uses: [], problems: parsed.problems };
  const source = parsed.source;
  if (source.value === null || typeof source.value !== "object" || Array.isArray(source.value)) {
    return {
      source,
      uses: [],
      problems: [{ file, line: 1, col: 1, message: "a workflow must be a YAML map with a 'steps' key" }],
    };
  }
  const problems = schemaProblems(source, workflowSchema);
  const spec = source.value as WorkflowSpec;
  const uses: UsesReference[] = [];
  problems.push(...inputSpecProblems(source, spec.inputs));
  const steps = isMap(spec.steps) ? (spec.steps as Record<string, StepSpec>) : {};
  problems.push(...graphProblems(source, steps));
  problems.push(...expressionProblems(source, spec, steps));
  for (const [id, step] of Object.entries(steps)) {
    if (!isMap(step)) continue;
    problems.push(...stepShapeProblems(source, id, step));
    if (typeof step.uses === "string") {
      const problemAt = { file, ...source.locate(["steps", id, "uses"]) };
      if (LOCAL_USES.test(step.uses) || LIBRARY_USES.test(step.uses))
        uses.push({ step: id, uses: step.uses, problemAt });
      else {
        problems.push({
          ...problemAt,
          message: `steps.${id}.uses: '${step.uses}' is neither a local action (./path) nor library/path@ref`,
        });
      }
    }
  }
  sortProblems(problems);
  return problems.length === 0 ? { workflow: spec, source, uses, problems } : { source, uses, problems };
}

function stepShapeProblems(source: SourceFile, id: string, step: StepSpec): Problem[] {
  const at = { file: source.file, ...source.locate(["steps", id], { key: true }) };
  if (step.run !== undefined && step.uses !== undefined) {
    return [
      { ...at, message: `steps.${id}: a step has either 'run' (a script) or 'uses' (an action), not both` },
    ];
  }
  if (step.run === undefined && step.uses === undefined) {
    return [{ ...at, message: `steps.${id}: a step needs 'run' (a script) or 'uses' (an action)` }];
  }
  if (step.uses !== undefined && step.shell !== undefined) {
    return [
      {
        file: source.file,
        ...source.locate(["steps", id, "shell"], { key: true }),
        message: `steps.${id}.shell: 'shell' applies to 'run' steps; an action declares its language in runs.using`,
      },
    ];
  }
  return [];
}

function graphProblems(source: SourceFile, steps: Record<string, StepSpec>): Problem[] {
  const problems: Problem[] = [];
  const ids = Object.keys(steps);
  for (const [id, step] of Object.entries(steps)) {
    if (!isMap(step)) continue;
    const needs = needsOf(step);
    needs.forEach((need, index) => {
      const path = typeof step.needs === "string" ? ["steps", id, "needs"] : ["steps", id, "needs", index];
      const at = { file: source.file, ...source.locate(path) };
      if (need === id) problems.push({ ...at, message: `steps.${id}.needs: a step cannot need itself` });
      else if (!(need in steps)) {
        problems.push({
          ...at,
          message: `steps.${id}.needs: unknown step '${need}'${didYouMean(need, ids)}`,
        });
      }
    });
  }
  const cycle = findCycle(steps);
  if (cycle && cycle.length > 2) {
    const first = cycle[0] as string;
    problems.push({
      file: source.file,
      ...source.locate(["steps", first, "needs"]),
      message: `steps.${first}.needs: dependency cycle: ${cycle.join(" -> ")} (each needs the next)`,
    });
  }
  return problems;
}

function expressionProblems(
  source: SourceFile,
  spec: WorkflowSpec,
  steps: Record<string, StepSpec>,
): Problem[] {
  const inputs = new Set(Object.keys(isMap(spec.inputs) ? (spec.inputs as object) : {}));
  const secrets = new Set(Object.keys(isMap(spec.secrets) ? (spec.secrets as object) : {}));
  const allSteps = new Set(Object.keys(steps));
  const contexts = new Set<string>(CONTEXT_NAMES);
  const workflowScope: ExpressionScope = {
    inputs,
    secrets,
    item: false,
    contexts: without(contexts, "steps", "item"),
  };
  const problems = [
    ...checkExpressions(source, ["env"], spec.env, workflowScope),
    ...checkExpressions(source, ["concurrency", "group"], spec.concurrency?.group, workflowScope),
    ...checkExpressions(source, ["outputs"], spec.outputs, {
      ...workflowScope,
      steps: allSteps,
      allSteps,
      contexts: without(contexts, "item"),
    }),
  ];
  // In a cycle the ancestor sets are incomplete, which can only hide a reference problem, never invent one.
  const ancestors = ancestorsOf(steps);
  for (const [id, step] of Object.entries(steps)) {
    if (!isMap(step)) continue;
    const hasItems = step.for_each !== undefined;
    const scope: ExpressionScope = {
      inputs,
      secrets,
      steps: ancestors.get(id) ?? new Set(),
      allSteps,
      item: hasItems,
      contexts,
    };
    const at = (key: keyof StepSpec) => ["steps", id, key];
    problems.push(
      ...checkExpressions(source, at("if"), step.if, scope, { bare: true }),
      ...checkExpressions(source, at("for_each"), step.for_each, { ...scope, item: false }),
      ...checkExpressions(source, at("continue_on_error"), step.continue_on_error, scope),
      ...checkExpressions(source, at("with"), step.with, scope),
      ...checkExpressions(source, at("env"), step.env, scope),
      ...checkExpressions(source, at("run"), step.run, scope),
      ...checkExpressions(source, at("working_directory"), step.working_directory, scope),
      ...checkExpressions(source, at("name"), step.name, scope),
    );
  }
  return problems;
}

function without(set: Set<string>, ...names: string[]): Set<string> {
  const copy = new Set(set);
  for (const name of names) copy.delete(name);
  return copy;
}

export function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function sortProblems(problems: Problem[]): void {
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
}
