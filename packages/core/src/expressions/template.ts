/** A `${{ ... }}` found in a string: `start`/`end` index the whole `${{ }}`, `expr` is the inside. */
export interface EmbeddedExpression {
  start: number;
  end: number;
  expr: string;
  /** Index of `expr` inside the string, to point errors at the right column. */
  exprStart: number;
}

/**
 * Finds each `${{ }}` in a string. A `}}` inside a single-quoted expression string (`'}}'`) does not end
 * the expression, as in GitHub Actions. An unterminated `${{` is returned with `end: -1`.
 */
export function findExpressions(text: string): EmbeddedExpression[] {
  const found: EmbeddedExpression[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf("${{", from);
    if (start < 0) return found;
    let i = start + 3;
    let inString = false;
    let end = -1;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === "'") {
        // '' is an escaped quote inside a string, and toggling twice keeps the state right.
        inString = !inString;
      } else if (!inString && c === "}" && text[i + 1] === "}") {
        end = i + 2;
        break;
      }
    }
    const exprStart = start + 3;
    found.push({ start, end, expr: text.slice(exprStart, end < 0 ? text.length : end - 2), exprStart });
    if (end < 0) return found;
    from = end;
  }
}

/** True when the whole string is one expression, so its value keeps its type (a number stays a number). */
export function wholeExpression(text: string): EmbeddedExpression | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith("${{")) return undefined;
  const found = findExpressions(trimmed);
  const only = found[0];
  return found.length === 1 && only && only.start === 0 && only.end === trimmed.length ? only : undefined;
}
