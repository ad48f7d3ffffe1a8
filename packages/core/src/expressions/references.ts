import {
  Binary,
  ContextAccess,
  type Expr,
  FunctionCall,
  Grouping,
  IndexAccess,
  Literal,
  Logical,
  Unary,
} from "@actions/expressions/ast";
import { STATUS_FUNCTIONS } from "./evaluate.js";

/** What an expression reads: `steps.build` -> {context: "steps", name: "build"}; `inputs` alone -> no name. */
export interface ContextReference {
  context: string;
  name?: string;
  /** 0-based column of the reference inside the expression. */
  column: number;
}

export interface ExpressionFacts {
  references: ContextReference[];
  usesStatusFunction: boolean;
  /** 0-based column of the first hashFiles() call, which needs a job's workspace. */
  hashFilesAt?: number;
}

const statusNames = new Set<string>(STATUS_FUNCTIONS);

export function expressionFacts(tree: Expr): ExpressionFacts {
  const facts: ExpressionFacts = { references: [], usesStatusFunction: false };
  walk(tree, facts);
  return facts;
}

function walk(node: Expr, facts: ExpressionFacts): void {
  if (node instanceof IndexAccess) {
    if (node.expr instanceof ContextAccess && node.index instanceof Literal) {
      facts.references.push({
        context: node.expr.name.lexeme.toLowerCase(),
        name: node.index.literal.coerceString(),
        column: node.expr.name.range.start.column,
      });
    } else {
      walk(node.expr, facts);
    }
    walk(node.index, facts);
  } else if (node instanceof ContextAccess) {
    facts.references.push({ context: node.name.lexeme.toLowerCase(), column: node.name.range.start.column });
  } else if (node instanceof FunctionCall) {
    const name = node.functionName.lexeme.toLowerCase();
    if (statusNames.has(name)) facts.usesStatusFunction = true;
    if (name === "hashfiles") facts.hashFilesAt ??= node.functionName.range.start.column;
    for (const arg of node.args) walk(arg, facts);
  } else if (node instanceof Binary) {
    walk(node.left, facts);
    walk(node.right, facts);
  } else if (node instanceof Logical) {
    for (const arg of node.args) walk(arg, facts);
  } else if (node instanceof Unary) {
    walk(node.expr, facts);
  } else if (node instanceof Grouping) {
    walk(node.group, facts);
  }
}
