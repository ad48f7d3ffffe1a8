import { ExpressionSyntaxError, parseExpression } from "../expressions/evaluate.js";
import { expressionFacts } from "../expressions/references.js";
import { findExpressions, wholeExpression } from "../expressions/template.js";
import type { Problem } from "../format/types.js";
import { type Path, positionOfOffset, type SourceFile } from "../yaml/parse.js";
import { didYouMean } from "./did-you-mean.js";

/** What an expression at a given place may read. */
export interface ExpressionScope {
  inputs: ReadonlySet<string>;
  /** Steps whose results exist when this expression runs; undefined = no `steps` context here. */
  steps?: ReadonlySet<string>;
  /** Every step of the workflow, to tell "unknown" from "not in needs". */
  allSteps?: ReadonlySet<string>;
  secrets?: ReadonlySet<string>;
  item: boolean;
  /** In a step with strategy.matrix: the `matrix` context has the leg's values. */
  matrix?: boolean;
  /** The contexts that exist at all here. */
  contexts: ReadonlySet<string>;
  /** A step of a job (or of a composite action): hashFiles() reads the job's workspace here. */
  workspace?: boolean;
}

/**
 * Checks every `${{ }}` in a string value: it must parse, and name only contexts, steps and inputs that
 * exist at that place. `bare` marks `if:` values, which GitHub lets you write without `${{ }}`.
 */
export function checkExpressions(
  source: SourceFile,
  path: Path,
  value: unknown,
  scope: ExpressionScope,
  options: { bare?: boolean } = {},
): Problem[] {
  if (typeof value !== "string") {
    if (Array.isArray(value))
      return value.flatMap((v, i) => checkExpressions(source, [...path, i], v, scope));
    if (value !== null && typeof value === "object") {
      return Object.entries(value).flatMap(([k, v]) => checkExpressions(source, [...path, k], v, scope));
    }
    return [];
  }
  const found = findExpressions(value);
  if (options.bare && found.length > 0 && !wholeExpression(value)) {
    // `if: ${{ a }} == 'b'` renders to the text "x == 'b'", which is always true: GitHub's classic trap.
    const at = position(source, path, 0);
    return [
      {
        ...at,
        message: `${path.map(String).join(".")}: write the whole condition inside one \${{ }} (text outside it makes the condition always true)`,
      },
    ];
  }
  const pieces =
    options.bare && found.length === 0 && value.trim() !== ""
      ? [{ expr: value, exprStart: 0, end: value.length }]
      : found;
  const problems: Problem[] = [];
  const place = path.map(String).join(".");
  for (const piece of pieces) {
    const at = (column: number) => position(source, path, piece.exprStart + column);
    if (piece.end < 0) {
      problems.push({ ...at(-3), message: `${place}: '\${{' is never closed with '}}'` });
      continue;
    }
    let tree: ReturnType<typeof parseExpression>;
    try {
      tree = parseExpression(piece.expr);
    } catch (error) {
      const column = error instanceof ExpressionSyntaxError ? error.column : 0;
      problems.push({ ...at(column), message: `${place}: invalid expression: ${(error as Error).message}` });
      continue;
    }
    const facts = expressionFacts(tree);
    for (const ref of facts.references) {
      const message = referenceProblem(ref.context, ref.name, scope);
      if (message) problems.push({ ...at(ref.column), message: `${place}: ${message}` });
    }
    if (facts.hashFilesAt !== undefined && !scope.workspace)
      problems.push({
        ...at(facts.hashFilesAt),
        message: `${place}: hashFiles() reads a job's workspace, so it works only in the steps of a job (steps: [...])`,
      });
  }
  return problems;
}

function referenceProblem(
  context: string,
  name: string | undefined,
  scope: ExpressionScope,
): string | undefined {
  if (!scope.contexts.has(context)) {
    return `the '${context}' context is not available here (available: ${[...scope.contexts].join(", ")})`;
  }
  if (context === "item" && !scope.item) return "'item' exists only in a step with for_each";
  if (context === "matrix" && !scope.matrix) return "'matrix' exists only in a step with strategy.matrix";
  if (name === undefined) return undefined;
  if (context === "inputs" && !scope.inputs.has(name)) {
    const declared = [...scope.inputs];
    return `unknown input '${name}'${didYouMean(name, declared) || (declared.length ? ` (declared: ${declared.join(", ")})` : " (no inputs are declared)")}`;
  }
  if (context === "secrets" && scope.secrets && !scope.secrets.has(name)) {
    return `unknown secret '${name}'${didYouMean(name, scope.secrets)} (declare it under secrets:)`;
  }
  if (context === "steps" && scope.steps && !scope.steps.has(name)) {
    if (scope.allSteps && !scope.allSteps.has(name)) {
      return `unknown step '${name}'${didYouMean(name, scope.allSteps)}`;
    }
    return `step '${name}' has not finished when this runs: add it to needs`;
  }
  return undefined;
}

/** Where a character of a string value is in the file: exact for inline scalars, else the value's start. */
export function position(source: SourceFile, path: Path, offsetInValue: number): Omit<Problem, "message"> {
  const scalar = source.scalarAt(path);
  if (scalar?.inline) {
    const { line, col } = positionOfOffset(scalar.source, scalar.offset + Math.max(0, offsetInValue));
    return { file: source.file, line, col };
  }
  return { file: source.file, ...source.locate(path) };
}
