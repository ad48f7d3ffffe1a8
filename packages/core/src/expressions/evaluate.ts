import { data, Evaluator, type Expr, Lexer, Parser } from "@actions/expressions";
import type { FunctionDefinition } from "@actions/expressions/funcs/info";
import { fromExpressionData, interpolationString, toExpressionData } from "./data.js";
import { findExpressions, wholeExpression } from "./template.js";

/** Every context name an expression may read. Which are filled depends on where it is evaluated. */
export const CONTEXT_NAMES = [
  "inputs",
  "steps",
  "env",
  "secrets",
  "vars",
  "run",
  "trigger",
  "github",
  "item",
  "matrix",
] as const;

export const STATUS_FUNCTIONS = ["success", "failure", "always", "cancelled"] as const;

/**
 * GitHub's `hashFiles(patterns...)`: the SHA-256 of the matched files' SHA-256s. It reads the workspace,
 * so it answers only where the evaluation is given a way to (a job's steps, on the worker).
 */
export const HASH_FILES = "hashFiles";

const extensionFunctions = [
  ...STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 })),
  { name: HASH_FILES, minArgs: 1, maxArgs: 255 },
];

/** The status functions' answers for the step being evaluated; the planner computes them. */
export interface StatusFlags {
  success: boolean;
  failure: boolean;
  cancelled: boolean;
}

/** Hashes the workspace's files that the glob patterns match (see HASH_FILES); '' when none match. */
export type HashFiles = (patterns: string[]) => string;

export interface EvaluationContext {
  contexts: Record<string, unknown>;
  status?: StatusFlags;
  /** Where a workspace exists (a job's step); elsewhere hashFiles() fails, saying where it works. */
  hashFiles?: HashFiles;
}

export class ExpressionSyntaxError extends Error {
  constructor(
    message: string,
    /** 0-based column inside the expression text. */
    readonly column: number,
  ) {
    super(message);
  }
}

export class ExpressionEvaluationFailure extends Error {}

// Workflows evaluate the same few expressions many times (a `for_each` step, every retry): parse each once.
const parsed = new Map<string, Expr>();
const MAX_CACHED = 10_000;

export function parseExpression(expr: string): Expr {
  const cached = parsed.get(expr);
  if (cached) return cached;
  let tree: Expr;
  try {
    const lexed = new Lexer(expr).lex();
    tree = new Parser(lexed.tokens, [...CONTEXT_NAMES], extensionFunctions).parse();
  } catch (error) {
    // The library repeats the position and the expression in its message; our caller shows both already.
    const message = (error as Error).message.replace(/\. Located at position \d+ within expression:.*$/s, "");
    throw new ExpressionSyntaxError(message, syntaxErrorColumn(error as Error));
  }
  if (parsed.size >= MAX_CACHED) parsed.clear();
  parsed.set(expr, tree);
  return tree;
}

/**
 * The parser's errors carry a `pos`; the lexer's (a stray `&`, an unclosed quote) carry none and give a
 * 1-based "position N" in their message instead. Without reading it, those errors point at column 0.
 */
function syntaxErrorColumn(error: Error): number {
  const column = (error as { pos?: { column?: number } }).pos?.column;
  if (column !== undefined) return column;
  const position = /Located at position (\d+)/.exec(error.message)?.[1];
  return position === undefined ? 0 : Math.max(0, Number(position) - 1);
}

function extensions(ctx: EvaluationContext): Map<string, FunctionDefinition> {
  const flags = ctx.status;
  const fixed = (name: string, value: boolean): [string, FunctionDefinition] => [
    name,
    { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value) },
  ];
  const hashFiles: FunctionDefinition = {
    name: HASH_FILES,
    minArgs: 1,
    maxArgs: 255,
    call: (...args) => {
      if (!ctx.hashFiles)
        throw new Error(
          "hashFiles() reads the workspace, which exists only for the steps of a job (a node with steps:)",
        );
      return new data.StringData(ctx.hashFiles(args.map((a) => a.coerceString())));
    },
  };
  return new Map([
    fixed("success", flags?.success ?? true),
    fixed("failure", flags?.failure ?? false),
    fixed("cancelled", flags?.cancelled ?? false),
    fixed("always", true),
    [HASH_FILES.toLowerCase(), hashFiles],
  ]);
}

/** Evaluates one expression (the inside of `${{ }}`) to a plain value. */
export function evaluateExpression(expr: string, ctx: EvaluationContext): unknown {
  const tree = parseExpression(expr);
  const contextData = toExpressionData(ctx.contexts) as data.Dictionary;
  try {
    return fromExpressionData(new Evaluator(tree, contextData, extensions(ctx)).evaluate());
  } catch (error) {
    throw new ExpressionEvaluationFailure(`\${{${expr}}}: ${(error as Error).message}`);
  }
}

/**
 * Evaluates `${{ }}` inside a value. A string that is exactly one expression keeps the expression's type;
 * expressions inside a longer string are interpolated. Lists and maps are evaluated member by member.
 */
export function evaluateTemplate(value: unknown, ctx: EvaluationContext): unknown {
  if (typeof value === "string") return evaluateString(value, ctx);
  if (Array.isArray(value)) return value.map((v) => evaluateTemplate(v, ctx));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = evaluateTemplate(v, ctx);
    return out;
  }
  return value;
}

function evaluateString(text: string, ctx: EvaluationContext): unknown {
  if (!text.includes("${{")) return text;
  const whole = wholeExpression(text);
  if (whole) return evaluateExpression(whole.expr, ctx);
  let out = "";
  let from = 0;
  for (const found of findExpressions(text)) {
    if (found.end < 0) throw new ExpressionEvaluationFailure(`unterminated \${{ in '${text}'`);
    out += text.slice(from, found.start) + interpolationString(evaluateExpression(found.expr, ctx));
    from = found.end;
  }
  return out + text.slice(from);
}

/** True when a string contains at least one `${{ }}`. */
export function hasExpression(value: unknown): boolean {
  return typeof value === "string" && value.includes("${{");
}
