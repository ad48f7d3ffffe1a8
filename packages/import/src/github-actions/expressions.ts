import { data, Lexer, Parser } from "@actions/expressions";
import {
  Binary,
  ContextAccess,
  type Expr,
  FunctionCall,
  Grouping,
  IndexAccess,
  Literal,
  Logical,
  Star,
  Unary,
} from "@actions/expressions/ast";

/** The contexts of GitHub Actions expressions. */
const GITHUB_CONTEXTS = [
  "github",
  "env",
  "vars",
  "job",
  "jobs",
  "steps",
  "runner",
  "secrets",
  "strategy",
  "matrix",
  "needs",
  "inputs",
];
const GITHUB_FUNCTIONS = [
  { name: "success", minArgs: 0, maxArgs: 0 },
  { name: "failure", minArgs: 0, maxArgs: 0 },
  { name: "always", minArgs: 0, maxArgs: 0 },
  { name: "cancelled", minArgs: 0, maxArgs: 0 },
  { name: "hashfiles", minArgs: 1, maxArgs: 255 },
];
export const STATUS_FUNCTIONS = new Set(["success", "failure", "always", "cancelled"]);

export function parseGithubExpression(text: string): Expr {
  const lexed = new Lexer(text).lex();
  return new Parser(lexed.tokens, GITHUB_CONTEXTS, GITHUB_FUNCTIONS).parse();
}

/**
 * What a context reference becomes: another reference path (`["steps", "build", "outputs", "x"]`), an
 * expression's text (kept as is), or why it cannot be converted.
 */
export type Rewrite = { path: string[] } | { text: string } | { unsupported: string; feature?: string };

/** A part of an expression that cannot be converted: why, and the feature of the table it concerns. */
export interface Unsupported {
  reason: string;
  feature?: string;
}

/**
 * Decides each reference: `path` is the reference's literal part, `github.event.inputs.x` as its names.
 * `readsWorkspace`: the place is a step of a job of steps, where Gantry evaluates hashFiles() too.
 */
export type ReferenceRewriter = ((path: string[]) => Rewrite) & { readsWorkspace?: boolean };

export interface RewriteResult {
  text: string;
  /** Why a part could not be converted, one entry per part. */
  unsupported: Unsupported[];
  usesStatus: boolean;
}

/** Rewrites one expression (the inside of `${{ }}`, or a parsed one) for Gantry, reference by reference. */
export function rewriteExpression(expression: string | Expr, rewrite: ReferenceRewriter): RewriteResult {
  let tree: Expr;
  if (typeof expression === "string") {
    try {
      tree = parseGithubExpression(expression);
    } catch (error) {
      return {
        text: expression,
        unsupported: [{ reason: `'${expression}' does not parse: ${(error as Error).message}` }],
        usesStatus: false,
      };
    }
  } else tree = expression;
  const state = { unsupported: [] as Unsupported[], usesStatus: false };
  return { text: print(tree, rewrite, state), ...state };
}

/** True when the expression calls success(), failure(), always() or cancelled(). */
export function usesStatusFunction(tree: Expr): boolean {
  return rewriteExpression(tree, (path) => ({ path })).usesStatus;
}

/** The dotted names of a reference chain, or undefined when some index is computed. */
export function referencePath(node: Expr): { path: string[]; rest: Expr[] } | undefined {
  const indexes: Expr[] = [];
  let current: Expr = node;
  while (current instanceof IndexAccess) {
    indexes.unshift(current.index);
    current = current.expr;
  }
  if (!(current instanceof ContextAccess)) return undefined;
  const path = [current.name.lexeme];
  let i = 0;
  for (; i < indexes.length; i++) {
    const index = indexes[i] as Expr;
    if (index instanceof Literal && index.literal instanceof data.StringData) path.push(index.literal.value);
    else if (index instanceof Star) path.push("*");
    else break;
  }
  return { path, rest: indexes.slice(i) };
}

function print(
  node: Expr,
  rewrite: ReferenceRewriter,
  state: { unsupported: Unsupported[]; usesStatus: boolean },
): string {
  const p = (n: Expr) => print(n, rewrite, state);
  if (node instanceof ContextAccess || node instanceof IndexAccess) {
    const ref = referencePath(node);
    if (!ref) {
      // An index computed from something that is not a context (fromJSON(x)[0]).
      return node instanceof IndexAccess ? `${p(node.expr)}[${p(node.index)}]` : node.name.lexeme;
    }
    const result = rewrite(ref.path);
    let head: string;
    if ("unsupported" in result) {
      state.unsupported.push({
        reason: result.unsupported,
        ...(result.feature ? { feature: result.feature } : {}),
      });
      head = ref.path.join(".");
    } else if ("text" in result) {
      head = result.text;
    } else {
      head = pathText(result.path);
    }
    return head + ref.rest.map((index) => `[${p(index)}]`).join("");
  }
  if (node instanceof Literal) return node.token.lexeme;
  if (node instanceof Unary) return `${node.operator.lexeme}${p(node.expr)}`;
  if (node instanceof Binary) return `${p(node.left)} ${node.operator.lexeme} ${p(node.right)}`;
  if (node instanceof Logical) return node.args.map(p).join(` ${node.operator.lexeme} `);
  if (node instanceof Grouping) return `(${p(node.group)})`;
  if (node instanceof FunctionCall) {
    const name = node.functionName.lexeme;
    const lower = name.toLowerCase();
    if (STATUS_FUNCTIONS.has(lower)) state.usesStatus = true;
    if (lower === "hashfiles" && !rewrite.readsWorkspace) {
      state.unsupported.push({
        reason: "hashFiles() outside a step of a job (Gantry evaluates it where the job's workspace is)",
        feature: "context-unsupported",
      });
    }
    return `${name}(${node.args.map(p).join(", ")})`;
  }
  if (node instanceof Star) return "*";
  return "";
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function pathText(path: string[]): string {
  return path
    .map((segment, i) =>
      i === 0
        ? segment
        : segment === "*"
          ? ".*"
          : IDENT.test(segment)
            ? `.${segment}`
            : `['${segment.replace(/'/g, "''")}']`,
    )
    .join("");
}
