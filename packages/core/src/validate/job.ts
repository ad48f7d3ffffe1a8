import type { InnerStepSpec, Problem, RunnerSpec, StepSpec } from "../format/types.js";
import { legName, matrixLegs } from "../jobs/matrix.js";
import { parseHealthOptions } from "../jobs/service-options.js";
import type { SourceFile } from "../yaml/parse.js";
import { checkExpressions, type ExpressionScope } from "./expressions.js";

const LOCAL_USES = /^\.\.?\//;
const LIBRARY_USES = /^[A-Za-z0-9_.-]+\/[^@\s]+@[^@\s]+$/;
const BUILTIN_USES = /^gantry\/[a-z0-9-]+$/;

/** A `uses:` of a job's step, keyed `<job>.steps.<index>` where the loaded actions are kept. */
export interface InnerUses {
  step: string;
  uses: string;
  problemAt: Omit<Problem, "message">;
}

/** The key a job's step's action is kept under (the loader's and worker's `actions` map). */
export function innerActionKey(job: string, index: number): string {
  return `${job}.steps.${index}`;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * The shape of a job (a DAG node with `steps:`): no `run`/`uses`/`with` beside them, each step with
 * `run` or `uses`, ids unique in the job and distinct from the DAG's node ids (inside the job
 * `steps.<id>` names both). Returns the problems and the `uses:` to resolve.
 */
export function jobProblems(
  source: SourceFile,
  id: string,
  step: StepSpec,
  dagIds: ReadonlySet<string>,
  runnerType: string | null,
): { problems: Problem[]; uses: InnerUses[] } {
  const problems: Problem[] = [];
  const uses: InnerUses[] = [];
  const at = (path: Array<string | number>, message: string, key = true) =>
    problems.push({ file: source.file, ...source.locate(path, { key }), message });
  if (isMap(step.services) && step.steps === undefined) {
    at(["steps", id, "services"], `steps.${id}.services: service containers belong to a job (steps: [...])`);
  } else if (isMap(step.services) && runnerType !== "docker") {
    at(
      ["steps", id, "services"],
      `steps.${id}.services: service containers need runner type docker; this job's runner is '${runnerType ?? "local"}'`,
    );
  }
  if (isMap(step.services)) {
    for (const [name, service] of Object.entries(step.services)) {
      const options = isMap(service) ? service.options : undefined;
      if (typeof options !== "string" || options.includes("${{")) continue;
      const health = parseHealthOptions(options);
      if ("error" in health)
        at(
          ["steps", id, "services", name, "options"],
          `steps.${id}.services.${name}.options: ${health.error}`,
          false,
        );
    }
  }
  if (step.strategy !== undefined && step.for_each !== undefined) {
    at(
      ["steps", id, "strategy"],
      `steps.${id}.strategy: a step has either strategy.matrix or for_each, not both`,
    );
  }
  if (step.strategy !== undefined && runnerType === "ssh") {
    at(
      ["steps", id, "strategy"],
      `steps.${id}.strategy: a step on runner type ssh already runs once per node`,
    );
  }
  // A matrix with expressions (an axis from fromJSON(...)) is built when the run gets there.
  if (
    isMap(step.strategy) &&
    isMap(step.strategy.matrix) &&
    !JSON.stringify(step.strategy.matrix).includes("${{")
  ) {
    const legs = matrixLegs(step.strategy.matrix as Record<string, unknown>);
    if ("error" in legs)
      at(["steps", id, "strategy", "matrix"], `steps.${id}.strategy.matrix: ${legs.error}`);
    else {
      const seen = new Set<string>();
      for (const leg of legs) {
        const name = legName(leg);
        if (seen.has(name)) {
          at(
            ["steps", id, "strategy", "matrix"],
            `steps.${id}.strategy.matrix: two legs are named '${name}'`,
          );
          break;
        }
        seen.add(name);
      }
    }
  }
  if (step.outputs !== undefined && step.steps === undefined) {
    at(
      ["steps", id, "outputs"],
      `steps.${id}.outputs: only a job (steps: [...]) declares outputs; a step sets them in $GANTRY_OUTPUT`,
    );
  }
  if (!Array.isArray(step.steps)) return { problems, uses };
  if (runnerType === "kubernetes" || runnerType === "ssh") {
    at(
      ["steps", id, "steps"],
      `steps.${id}.steps: a job of steps runs on runner type local or docker; '${runnerType}' cannot hold one yet (make each step a node of the workflow)`,
    );
  }
  for (const key of ["run", "uses", "with"] as const) {
    if (step[key] !== undefined)
      at(
        ["steps", id, key],
        `steps.${id}.${key}: a job (steps: [...]) runs its steps; '${key}' belongs on one of them`,
      );
  }
  const ids = new Map<string, number>();
  step.steps.forEach((inner, index) => {
    if (!isMap(inner)) return;
    const where = `steps.${id}.steps[${index}]`;
    const path = ["steps", id, "steps", index];
    problems.push(...innerShapeProblems(source, path, where, inner));
    if (typeof inner.id === "string") {
      if (dagIds.has(inner.id)) {
        at(
          [...path, "id"],
          `${where}.id: '${inner.id}' is also a step of the workflow; inside the job steps.${inner.id} would name both`,
          false,
        );
      } else if (ids.has(inner.id)) {
        at(
          [...path, "id"],
          `${where}.id: '${inner.id}' is already the id of step ${ids.get(inner.id)} of this job`,
          false,
        );
      }
      ids.set(inner.id, index);
    }
    if (typeof inner.uses === "string") {
      const problemAt = { file: source.file, ...source.locate([...path, "uses"]) };
      if (LOCAL_USES.test(inner.uses) || LIBRARY_USES.test(inner.uses) || BUILTIN_USES.test(inner.uses))
        uses.push({ step: innerActionKey(id, index), uses: inner.uses, problemAt });
      else
        problems.push({
          ...problemAt,
          message: `${where}.uses: '${inner.uses}' is neither a local action (./path), a built-in (gantry/<name>) nor library/path@ref`,
        });
    }
  });
  return { problems, uses };
}

/** One step of a job or of a composite action: `run` or `uses`, and `shell` only with `run`. */
export function innerShapeProblems(
  source: SourceFile,
  path: Array<string | number>,
  where: string,
  inner: InnerStepSpec,
): Problem[] {
  const at = { file: source.file, ...source.locate(path) };
  if (inner.run !== undefined && inner.uses !== undefined)
    return [
      { ...at, message: `${where}: a step has either 'run' (a script) or 'uses' (an action), not both` },
    ];
  if (inner.run === undefined && inner.uses === undefined)
    return [{ ...at, message: `${where}: a step needs 'run' (a script) or 'uses' (an action)` }];
  if (inner.uses !== undefined && inner.shell !== undefined)
    return [
      {
        file: source.file,
        ...source.locate([...path, "shell"], { key: true }),
        message: `${where}.shell: 'shell' applies to 'run' steps; an action declares its language in runs.using`,
      },
    ];
  return [];
}

/**
 * Expressions of a job's steps and outputs: each step reads the DAG steps its job needs and the job's
 * steps before it (by id); the outputs read them all.
 */
export function jobExpressionProblems(
  source: SourceFile,
  id: string,
  step: StepSpec,
  scope: ExpressionScope,
): Problem[] {
  if (!Array.isArray(step.steps)) return [];
  const problems: Problem[] = [];
  const seen = new Set(scope.steps ?? []);
  const all = new Set(scope.allSteps ?? []);
  for (const inner of step.steps) if (isMap(inner) && typeof inner.id === "string") all.add(inner.id);
  step.steps.forEach((inner, index) => {
    if (!isMap(inner)) return;
    const innerScope: ExpressionScope = { ...scope, steps: new Set(seen), allSteps: all };
    const at = (key: keyof InnerStepSpec) => ["steps", id, "steps", index, key];
    problems.push(
      ...checkExpressions(source, at("if"), inner.if, innerScope, { bare: true }),
      ...checkExpressions(source, at("continue_on_error"), inner.continue_on_error, innerScope),
      ...checkExpressions(source, at("with"), inner.with, innerScope),
      ...checkExpressions(source, at("env"), inner.env, innerScope),
      ...checkExpressions(source, at("run"), inner.run, innerScope),
      ...checkExpressions(source, at("working_directory"), inner.working_directory, innerScope),
      ...checkExpressions(source, at("name"), inner.name, innerScope),
    );
    if (typeof inner.id === "string") seen.add(inner.id);
  });
  problems.push(
    ...checkExpressions(source, ["steps", id, "outputs"], step.outputs, {
      ...scope,
      steps: seen,
      allSteps: all,
    }),
  );
  return problems;
}

/** The runner type a node runs on, when known from the file (an action may still choose it). */
export function nodeRunnerType(step: StepSpec, defaults: RunnerSpec | undefined): string | null {
  const own = isMap(step.runner) ? step.runner : undefined;
  const inherited = isMap(defaults) ? defaults : undefined;
  return (
    (own?.type as string | undefined) ??
    (inherited?.type as string | undefined) ??
    (step.uses === undefined ? "local" : null)
  );
}
