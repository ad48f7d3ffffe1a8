import { approvalProblems } from "../approvals/validate.js";
import { CONTEXT_NAMES } from "../expressions/evaluate.js";
import type { Problem, RunnerSpec, StepSpec, WorkflowSpec } from "../format/types.js";
import { workingDirectoryProblem } from "../format/working-directory.js";
import { ancestorsOf, findStepCycle, needsOf } from "../graph/dag.js";
import { SELECTOR_CONTEXTS } from "../nodes/run-nodes.js";
import { scheduleProblems } from "../schedules/validate.js";
import { workflowSchema } from "../schema/workflow-schema.js";
import { eventTriggerProblems } from "../triggers/event-problems.js";
import { gitFilterProblems } from "../triggers/git-events.js";
import { webhookProblems } from "../triggers/webhook.js";
import { parseYamlFile, type SourceFile } from "../yaml/parse.js";
import { didYouMean } from "./did-you-mean.js";
import { checkExpressions, type ExpressionScope } from "./expressions.js";
import { inputSpecProblems } from "./inputs.js";
import { jobExpressionProblems, jobProblems, nodeRunnerType } from "./job.js";
import { optionsFromProblems } from "./options-from.js";
import { runnerProblems } from "./runner.js";
import { schemaProblems } from "./schema-problems.js";
import {
  libraryWorkflowUses,
  secretsOnlyForSubWorkflows,
  subWorkflowName,
  subWorkflowStepProblems,
} from "./sub-workflow.js";
import { workflowInjectionProblems } from "./workflow-injection.js";

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
/** `gantry/<name>`: an action that comes with Gantry (the engine knows which). */
const BUILTIN_USES = /^gantry\/[a-z0-9-]+$/;

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
  problems.push(...optionsFromProblems(source, spec.inputs));
  const steps = isMap(spec.steps) ? (spec.steps as Record<string, StepSpec>) : {};
  problems.push(...graphProblems(source, steps));
  problems.push(...expressionProblems(source, spec, steps));
  problems.push(...webhookProblems(source));
  problems.push(...workflowInjectionProblems(source, spec, steps));
  for (const event of ["push", "pull_request"] as const) {
    const filter = isMap(spec.on) ? (spec.on as Record<string, unknown>)[event] : undefined;
    for (const [at, message] of gitFilterProblems(
      event,
      isMap(filter) ? (filter as Record<string, unknown>) : null,
    ))
      problems.push({ file, ...source.locate(at, { key: true }), message });
  }
  for (const [path, dir] of workingDirectories(spec, steps)) {
    const problem =
      typeof dir === "string" && !dir.includes("${{") ? workingDirectoryProblem(dir) : undefined;
    if (problem) problems.push({ file, ...source.locate(path), message: `${path.join(".")}: ${problem}` });
  }
  const stepIds = new Set(Object.keys(steps));
  for (const [id, step] of Object.entries(steps)) {
    if (!isMap(step)) continue;
    const job = jobProblems(source, id, step, stepIds, nodeRunnerType(step, spec.defaults?.runner));
    problems.push(...job.problems);
    uses.push(...job.uses);
    if (step.steps === undefined)
      problems.push(
        ...(step.approval !== undefined
          ? approvalProblems(source, id, step)
          : stepShapeProblems(source, id, step)),
      );
    problems.push(...secretsOnlyForSubWorkflows(source, id, step));
    problems.push(...stepRunnerProblems(source, id, step, spec.defaults?.runner));
    if (typeof step.uses === "string") {
      const problemAt = { file, ...source.locate(["steps", id, "uses"]) };
      if (libraryWorkflowUses(step.uses) !== undefined) {
        // The engine loads the called file (and checks `with:` against its inputs) with the library.
        problems.push(...subWorkflowStepProblems(source, id, step));
        uses.push({ step: id, uses: step.uses, problemAt });
      } else if (LOCAL_USES.test(step.uses) || LIBRARY_USES.test(step.uses) || BUILTIN_USES.test(step.uses))
        uses.push({ step: id, uses: step.uses, problemAt });
      else if (subWorkflowName(step.uses) !== undefined)
        problems.push(...subWorkflowStepProblems(source, id, step));
      else {
        problems.push({
          ...problemAt,
          message: `steps.${id}.uses: '${step.uses}' is neither a local action (./path), library/path@ref nor workflow:<name>`,
        });
      }
    }
  }
  if (isMap(spec.defaults) && isMap(spec.defaults.runner)) {
    problems.push(
      ...runnerProblems(
        source,
        ["defaults", "runner"],
        spec.defaults.runner,
        spec.defaults.runner.type ?? null,
      ),
    );
  }
  sortProblems(problems);
  // Each list comes sorted on its own, after the rest: schedules, then event triggers.
  problems.push(...scheduleProblems(source), ...eventTriggerProblems(source));
  return problems.length === 0 ? { workflow: spec, source, uses, problems } : { source, uses, problems };
}

function workingDirectories(spec: WorkflowSpec, steps: Record<string, StepSpec>): Array<[string[], unknown]> {
  const found: Array<[string[], unknown]> = [];
  if (isMap(spec.defaults)) found.push([["defaults", "working_directory"], spec.defaults.working_directory]);
  for (const [id, step] of Object.entries(steps))
    if (isMap(step)) found.push([["steps", id, "working_directory"], step.working_directory]);
  return found;
}

/** A step's `runner:` for its effective type, and an image for a `run:` step in a container. */
function stepRunnerProblems(
  source: SourceFile,
  id: string,
  step: StepSpec,
  defaults: RunnerSpec | undefined,
): Problem[] {
  const own = isMap(step.runner) ? step.runner : undefined;
  const inherited = isMap(defaults) ? defaults : undefined;
  // An action may still choose the type (and bring the image) of a `uses:` step.
  const type = own?.type ?? inherited?.type ?? (step.uses === undefined ? "local" : null);
  const problems = runnerProblems(source, ["steps", id, "runner"], own, type);
  const sameType = own?.type === undefined || own.type === inherited?.type;
  const image = own?.image ?? (sameType ? inherited?.image : undefined);
  if (step.run !== undefined && (type === "docker" || type === "kubernetes") && image === undefined) {
    problems.push({
      file: source.file,
      ...source.locate(own ? ["steps", id, "runner"] : ["steps", id], { key: true }),
      message: `steps.${id}.runner: runner type ${type} needs an 'image' (on the step or in defaults.runner)`,
    });
  }
  if (type === "ssh") {
    const nodes = own?.nodes ?? (sameType ? inherited?.nodes : undefined);
    if (nodes === undefined) {
      problems.push({
        file: source.file,
        ...source.locate(own ? ["steps", id, "runner"] : ["steps", id], { key: true }),
        message: `steps.${id}.runner: runner type ssh needs 'nodes', a node selector such as tags:web (on the step or in defaults.runner)`,
      });
    }
    if (step.for_each !== undefined) {
      problems.push({
        file: source.file,
        ...source.locate(["steps", id, "for_each"], { key: true }),
        message: `steps.${id}.for_each: a step on runner type ssh already runs once per node; for_each cannot be added`,
      });
    }
  }
  return problems;
}

/** Whether a step runs once per node: its own or the default runner is ssh. */
function isSshStep(step: StepSpec, defaults: RunnerSpec | undefined): boolean {
  const own = isMap(step.runner) ? step.runner : undefined;
  return (own?.type ?? (isMap(defaults) ? defaults.type : undefined)) === "ssh";
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

/** A close step to suggest, else the steps there are (a few), never the step that asks. */
function otherSteps(unknown: string, others: string[]): string {
  if (others.length === 0) return " (no other step is defined)";
  const close = didYouMean(unknown, others);
  if (close) return close;
  const shown = others.slice(0, 8).join(", ");
  return ` (the steps are: ${shown}${others.length > 8 ? `, and ${others.length - 8} more` : ""})`;
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
          message: `steps.${id}.needs: unknown step '${need}'${otherSteps(
            need,
            ids.filter((other) => other !== id),
          )}`,
        });
      }
    });
  }
  const cycle = findStepCycle(steps);
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
    contexts: without(contexts, "steps", "item", "matrix"),
  };
  const problems = [
    ...checkExpressions(source, ["env"], spec.env, workflowScope),
    ...checkExpressions(source, ["concurrency", "group"], spec.concurrency?.group, workflowScope),
    ...checkExpressions(source, ["defaults", "runner"], withoutNodes(spec.defaults?.runner), workflowScope),
    ...checkExpressions(source, ["outputs"], spec.outputs, {
      ...workflowScope,
      steps: allSteps,
      allSteps,
      contexts: without(contexts, "item", "matrix"),
    }),
  ];
  // In a cycle the ancestor sets are incomplete, which can only hide a reference problem, never invent one.
  const ancestors = ancestorsOf(steps);
  // Nodes are chosen when the run starts, from what is known then.
  const selectorScope: ExpressionScope = {
    inputs,
    item: false,
    contexts: new Set(SELECTOR_CONTEXTS),
  };
  const defaultsRunner = isMap(spec.defaults) ? (spec.defaults.runner as RunnerSpec | undefined) : undefined;
  problems.push(
    ...checkExpressions(source, ["defaults", "runner", "nodes"], nodesOf(defaultsRunner), selectorScope),
  );
  for (const [id, step] of Object.entries(steps)) {
    if (!isMap(step)) continue;
    // A step on ssh runs once per node: `item` is the node's name.
    const hasItems = step.for_each !== undefined || isSshStep(step, defaultsRunner);
    const scope: ExpressionScope = {
      inputs,
      // A step with an environment also gets the environment's secrets, which gantry.yaml names.
      ...(step.environment === undefined ? { secrets } : {}),
      steps: ancestors.get(id) ?? new Set(),
      allSteps,
      item: hasItems,
      matrix: step.strategy !== undefined,
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
      ...checkExpressions(source, ["steps", id, "approval", "message"], approvalMessage(step), scope),
      ...checkExpressions(source, ["steps", id, "environment", "url"], environmentUrl(step), scope),
      ...checkExpressions(source, at("runner"), withoutNodes(step.runner), scope),
      ...checkExpressions(source, at("services"), step.services, scope),
      ...checkExpressions(
        source,
        ["steps", id, "strategy", "matrix"],
        isMap(step.strategy) ? step.strategy.matrix : undefined,
        {
          ...scope,
          matrix: false,
        },
      ),
      ...jobExpressionProblems(source, id, step, scope),
      ...checkExpressions(source, ["steps", id, "runner", "nodes"], nodesOf(step.runner), selectorScope),
    );
  }
  return problems;
}

function approvalMessage(step: StepSpec): unknown {
  return isMap(step.approval) ? step.approval.message : undefined;
}

function environmentUrl(step: StepSpec): unknown {
  return isMap(step.environment) ? step.environment.url : undefined;
}

function nodesOf(runner: unknown): unknown {
  return isMap(runner) ? runner.nodes : undefined;
}

function withoutNodes(runner: unknown): unknown {
  if (!isMap(runner)) return runner;
  const { nodes: _nodes, ...rest } = runner;
  return rest;
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
