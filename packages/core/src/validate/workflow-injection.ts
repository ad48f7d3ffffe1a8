import { findExpressions } from "../expressions/template.js";
import type { Problem, StepSpec, WorkflowSpec } from "../format/types.js";
import type { SourceFile } from "../yaml/parse.js";
import {
  type InjectionFinding,
  injectionProblem,
  scriptFindings,
  type TrustRules,
  untrustedExpression,
  untrustedValues,
} from "./injection.js";

/** The outside values spliced into each step's `run:`, unless the step opted out. */
export interface StepInjections {
  step: string;
  script: string;
  findings: InjectionFinding[];
}

export function workflowInjections(spec: WorkflowSpec, steps: Record<string, StepSpec>): StepInjections[] {
  const inputs = isRecord(spec.inputs) ? spec.inputs : {};
  const workflowEnv = new Map<string, string>();
  untrustedValues(isRecord(spec.env) ? spec.env : undefined, { inputs }, workflowEnv);
  const result: StepInjections[] = [];
  for (const [id, step] of Object.entries(steps)) {
    if (!isRecord(step) || typeof step.run !== "string" || step.unsafe_interpolation === true) continue;
    if (!step.run.includes("${{")) continue;
    const forEach =
      typeof step.for_each === "string" ? untrustedExpressionsIn(step.for_each, inputs) : undefined;
    const item = forEach ? `item, taken from ${forEach}` : undefined;
    const env = new Map(workflowEnv);
    untrustedValues(isRecord(step.env) ? step.env : undefined, { inputs, ...(item ? { item } : {}) }, env);
    const rules: TrustRules = { inputs, env, ...(item ? { item } : {}) };
    const taken = new Set([
      ...Object.keys(isRecord(spec.env) ? spec.env : {}),
      ...Object.keys(isRecord(step.env) ? step.env : {}),
    ]);
    const shell = step.shell ?? spec.defaults?.shell ?? "bash";
    const findings = scriptFindings(["steps", id, "run"], step.run, rules, { shell, taken });
    if (findings.length > 0) result.push({ step: id, script: step.run, findings });
  }
  return result;
}

export function workflowInjectionProblems(
  source: SourceFile,
  spec: WorkflowSpec,
  steps: Record<string, StepSpec>,
): Problem[] {
  return workflowInjections(spec, steps).flatMap(({ script, findings }) =>
    findings.map((f) => injectionProblem(source, f, script)),
  );
}

function untrustedExpressionsIn(text: string, inputs: TrustRules["inputs"]): string | undefined {
  for (const piece of findExpressions(text)) {
    if (piece.end < 0) continue;
    const why = untrustedExpression(piece.expr, { inputs, env: new Map() });
    if (why) return why;
  }
  return undefined;
}

function isRecord<T extends object>(value: T | undefined | null): value is T {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
